#!/usr/bin/env node
// jobd-wordcount: a jobd plugin written in Node.js, without the Go SDK.
//
// It serves the kind "wordcount": input {"text": "..."} answers
// {"words": n, "characters": n}. Input {"publish": "subject"} also publishes
// the counts on that subject through jobd; {"sleep_ms": n} waits first (and
// honours cancellation and the deadline). A missing text is a permanent
// error; {"fail": "retry"} a retryable one that asks for 2 seconds.
//
// What it takes to be a jobd plugin (docs/plugins.md, "Any language"):
//   1. refuse to run unless JOBD_PLUGIN_MAGIC is the cookie;
//   2. serve gRPC on 127.0.0.1, with mutual TLS when PLUGIN_CLIENT_CERT is set;
//   3. print "1|1|tcp|127.0.0.1:PORT|grpc|CERT" as the only line on stdout;
//   4. serve jobd.plugin.v1.Plugin, grpc.health.v1.Health ("plugin" is
//      SERVING) and go-plugin's GRPCController, GRPCStdio and GRPCBroker.
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const forge = require('node-forge');

const COOKIE_KEY = 'JOBD_PLUGIN_MAGIC';
const COOKIE_VALUE = 'c3a1e9f0-jobd-plugin';
const CORE_PROTOCOL_VERSION = 1; // go-plugin's
const APP_PROTOCOL_VERSION = 1; // jobd's wire protocol (the handshake)
const API_VERSION = 1; // jobd's plugin API (InfoResponse.api_version)
const VERSION = '0.1.0';

const SAMPLE_CONFIG = `## wordcount plugin (Node.js): counts the words of a text.
[plugins.wordcount]
  ## plugin.js starts with "#!/usr/bin/env node": let it see PATH.
  env = ["PATH"]

[plugins.wordcount.config]
  ## Words shorter than this are not counted.
  # min_length = 1
`;

// log writes one line in go-plugin's JSON log format to stderr: jobd keeps
// its level. Never write to stdout: it carries the handshake.
function log(level, message, attrs = {}) {
  process.stderr.write(JSON.stringify({ '@level': level, '@message': message, '@timestamp': new Date().toISOString(), ...attrs }) + '\n');
}

if (process.env[COOKIE_KEY] !== COOKIE_VALUE) {
  process.stderr.write('This is a jobd plugin: jobd starts it. Name it in [plugins.wordcount] or put it in plugins.dir.\n');
  process.exit(1);
}
const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS || String(APP_PROTOCOL_VERSION)).split(',');
if (!offered.includes(String(APP_PROTOCOL_VERSION))) {
  process.stderr.write(`jobd offers wire protocol versions ${offered}; this plugin speaks ${APP_PROTOCOL_VERSION}\n`);
  process.exit(1);
}

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
function load(file) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path.join(__dirname, 'proto', file), loaderOptions));
}
const jobd = load('jobd/plugin/v1/plugin.proto').jobd.plugin.v1;
const goplugin = load('plugin/go_plugin.proto').plugin;
const health = load('grpc/health/v1/health.proto').grpc.health.v1;

// selfSignedCert makes the certificate go-plugin's automatic mutual TLS
// expects from a plugin: self-signed, a CA, for "localhost", for server and
// client authentication.
function selfSignedCert() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' });
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01' + crypto.randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 30 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);
  const name = [{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'jobd plugin' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return {
    keyPem: Buffer.from(keyPem),
    certPem: Buffer.from(forge.pki.certificateToPem(cert)),
    // The handshake's sixth field: raw DER, standard base64 without padding.
    handshake: der.toString('base64').replace(/=+$/, ''),
  };
}

const hostCertPem = process.env.PLUGIN_CLIENT_CERT;
const tls = hostCertPem ? selfSignedCert() : null;

// The broker: jobd tells the plugin where its Host service listens.
const brokerConns = new Map(); // service id -> ConnInfo
const brokerWaiters = new Map(); // service id -> [resolve]
function brokerConnInfo(id, timeoutMs = 5000) {
  if (brokerConns.has(id)) return Promise.resolve(brokerConns.get(id));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no broker connection info for service ${id}`)), timeoutMs);
    const list = brokerWaiters.get(id) || [];
    list.push((info) => { clearTimeout(timer); resolve(info); });
    brokerWaiters.set(id, list);
  });
}

let host = null; // jobd.plugin.v1.Host client, once configured
let config = { min_length: 1 };

function dialHost(info) {
  const target = info.network === 'unix' ? `unix:${info.address}` : info.address;
  const creds = tls
    ? grpc.credentials.createSsl(Buffer.from(hostCertPem), tls.keyPem, tls.certPem)
    : grpc.credentials.createInsecure();
  return new jobd.Host(target, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
}

function hostCall(method, request) {
  return new Promise((resolve, reject) => {
    if (!host) return reject(new Error('jobd offered no host services'));
    host[method](request, { deadline: Date.now() + 5000 }, (err, resp) => (err ? reject(err) : resolve(resp)));
  });
}

class PermanentError extends Error {}
class RetryAfterError extends Error {
  constructor(message, ms) { super(message); this.retryAfterMs = ms; }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });
}

// handle runs one job. signal aborts at the job's deadline or when jobd
// cancels it.
async function handle(job, signal) {
  let input;
  try {
    input = JSON.parse(job.input.toString('utf8'));
  } catch (e) {
    throw new PermanentError(`decode input: ${e.message}`);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new PermanentError('decode input: the input is not a JSON object');
  }
  if (input.sleep_ms) await sleep(input.sleep_ms, signal);
  if (input.fail === 'retry') throw new RetryAfterError('asked to fail', 2000);
  if (typeof input.text !== 'string' || input.text === '') throw new PermanentError('text is required');
  const words = input.text.split(/\s+/).filter((w) => w.length >= config.min_length).length;
  const output = { words, characters: [...input.text].length, attempt: job.attempt, key: job.idempotency_key };
  if (input.publish) {
    await hostCall('Publish', { subject: input.publish, data: Buffer.from(JSON.stringify(output)), headers: {}, run_id: job.run_id });
  }
  await hostCall('Log', { level: 'info', message: 'counted words', attrs: Buffer.from(JSON.stringify({ run_id: job.run_id, words })) }).catch(() => {});
  return output;
}

const pluginService = {
  Info(call, callback) {
    callback(null, {
      name: 'wordcount', version: VERSION, kinds: ['wordcount'], api_version: API_VERSION,
      description: 'counts the words of a text (a plugin in Node.js)',
      input_schema: Buffer.from(JSON.stringify({ type: 'object', required: ['text'], properties: { text: { type: 'string' } } })),
      sample_config: SAMPLE_CONFIG,
    });
  },

  async Configure(call, callback) {
    const req = call.request;
    try {
      const cfg = JSON.parse(req.config.length ? req.config.toString('utf8') : '{}');
      const min = cfg.min_length === undefined ? 1 : cfg.min_length;
      if (!Number.isInteger(min) || min < 1) throw new Error(`min_length ${JSON.stringify(min)} is not a positive integer`);
      config = { min_length: min };
      if (req.host_broker_id) host = dialHost(await brokerConnInfo(req.host_broker_id));
      callback(null, {});
    } catch (e) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `wordcount config: ${e.message}` });
    }
  },

  Execute(call) {
    const running = new Map(); // call id -> AbortController
    let ended = false;
    const finish = () => { if (ended && running.size === 0) call.end(); };
    call.on('data', (req) => {
      for (const id of req.cancel) running.get(String(id))?.abort(new Error('cancelled by jobd'));
      for (const job of req.jobs) {
        const id = String(job.call_id);
        const abort = new AbortController();
        running.set(id, abort);
        let timer = null;
        const deadline = Number(BigInt(job.deadline_unix_nano) / 1000000n);
        if (deadline) timer = setTimeout(() => abort.abort(new Error('the job\'s deadline passed')), Math.max(0, deadline - Date.now()));
        handle(job, abort.signal).then(
          (output) => ({ call_id: job.call_id, outcome: 'OUTCOME_OK', output: Buffer.from(JSON.stringify(output)) }),
          (err) => ({
            call_id: job.call_id,
            outcome: err instanceof PermanentError ? 'OUTCOME_PERMANENT' : 'OUTCOME_RETRY',
            error: String(err && err.message ? err.message : err),
            retry_after_ms: err instanceof RetryAfterError ? err.retryAfterMs : 0,
          }),
        ).then((result) => {
          clearTimeout(timer);
          running.delete(id);
          call.write({ results: [result] });
          finish();
        });
      }
    });
    call.on('end', () => { ended = true; finish(); });
    call.on('error', () => { for (const a of running.values()) a.abort(new Error('stream closed')); });
  },
};

// Jobs of any size: jobd keeps batches under 3 MiB, but one job's input may be larger.
const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
server.addService(jobd.Plugin.service, pluginService);
server.addService(health.Health.service, {
  Check(call, callback) {
    const known = call.request.service === '' || call.request.service === 'plugin';
    callback(null, { status: known ? 'SERVING' : 'SERVICE_UNKNOWN' });
  },
  Watch(call) { call.write({ status: 'SERVING' }); },
});
server.addService(goplugin.GRPCController.service, {
  Shutdown(call, callback) {
    callback(null, {});
    setTimeout(() => server.tryShutdown(() => process.exit(0)), 10);
    setTimeout(() => process.exit(0), 2000).unref();
  },
});
server.addService(goplugin.GRPCStdio.service, {
  StreamStdio(call) { call.on('cancelled', () => call.end()); },
});
server.addService(goplugin.GRPCBroker.service, {
  StartStream(call) {
    call.on('data', (info) => {
      if (info.knock) return; // only with broker multiplexing, which jobd does not use
      brokerConns.set(info.service_id, info);
      for (const resolve of brokerWaiters.get(info.service_id) || []) resolve(info);
      brokerWaiters.delete(info.service_id);
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
});

const creds = tls
  ? grpc.ServerCredentials.createSsl(Buffer.from(hostCertPem), [{ private_key: tls.keyPem, cert_chain: tls.certPem }], true)
  : grpc.ServerCredentials.createInsecure();
server.bindAsync('127.0.0.1:0', creds, (err, port) => {
  if (err) {
    log('error', 'listen', { error: err.message });
    process.exit(1);
  }
  const fields = [CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, 'tcp', `127.0.0.1:${port}`, 'grpc'];
  if (tls) fields.push(tls.handshake);
  process.stdout.write(fields.join('|') + '\n');
  log('debug', 'plugin started', { port, mtls: Boolean(tls) });
});

// Exit with jobd: if it dies without stopping its plugins (SIGKILL), this
// process is handed to another parent.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
