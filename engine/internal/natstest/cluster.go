package natstest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ClusterDeadline bounds every wait of a Cluster: generous, because the
// cluster tests run on busy two-core machines where a leader election can
// take many seconds.
const ClusterDeadline = 60 * time.Second

// Cluster is a NATS cluster of in-process servers with JetStream, on
// loopback, each with its own store folder. A stopped server can be
// started again on the same ports and store.
type Cluster struct {
	t       testing.TB
	Servers []*server.Server // nil while stopped
	opts    []server.Options // what each server is started with
}

// StartCluster starts a cluster of n servers (3 for a real quorum) that
// stops when the test ends, and waits until it has a JetStream meta leader
// and every server is current.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	clientPorts, routePorts := freePorts(t, n), freePorts(t, n)
	routes := make([]string, n)
	for i, p := range routePorts {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", p)
	}
	c := &Cluster{t: t, Servers: make([]*server.Server, n)}
	for i := range n {
		c.opts = append(c.opts, server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			MaxPayload: 8 << 20,
			NoSigs:     true,
			NoLog:      true,
			Cluster: server.ClusterOpts{
				Name: "jobd-test",
				Host: "127.0.0.1",
				Port: routePorts[i],
			},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		})
	}
	t.Cleanup(func() {
		for i := range c.Servers {
			c.Stop(i)
		}
	})
	for i := range n {
		c.Start(i)
	}
	c.WaitReady()
	return c
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// Start starts server i (again), on its ports and store folder; it does
// not wait for JetStream (WaitReady does).
func (c *Cluster) Start(i int) {
	c.t.Helper()
	if c.Servers[i] != nil {
		return
	}
	o := c.opts[i] // a copy: the server keeps and changes what it is given
	o.Routes = append([]*url.URL(nil), c.opts[i].Routes...)
	srv, err := server.NewServer(&o)
	if err != nil {
		c.t.Fatalf("nats server %d: %v", i+1, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(ClusterDeadline) {
		c.t.Fatalf("nats server %d did not start", i+1)
	}
	c.Servers[i] = srv
}

// Stop stops server i and waits for it. Stopping a stopped server does
// nothing.
func (c *Cluster) Stop(i int) {
	if srv := c.Servers[i]; srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		c.Servers[i] = nil
	}
}

// URLs returns every server's client URL, comma-separated: what nats.url
// holds for a cluster.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.opts))
	for i, o := range c.opts {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", o.Port)
	}
	return strings.Join(urls, ",")
}

// Connect connects to the cluster (any server); the connection closes when
// the test ends.
func (c *Cluster) Connect(opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(c.URLs(), append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		c.t.Fatalf("connect: %v", err)
	}
	c.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		c.t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// WaitReady waits until a meta leader is elected, every running server is
// current with it, and a client can reach JetStream.
func (c *Cluster) WaitReady() {
	c.t.Helper()
	deadline := time.Now().Add(ClusterDeadline)
	var last string
	for time.Now().Before(deadline) {
		if last = c.notReady(); last == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("cluster not ready after %v: %s", ClusterDeadline, last)
}

// notReady says what the cluster still waits for, or "".
func (c *Cluster) notReady() string {
	leader := false
	for i, srv := range c.Servers {
		if srv == nil {
			continue
		}
		if !srv.JetStreamEnabled() {
			return fmt.Sprintf("server %d: JetStream not enabled yet", i+1)
		}
		if !srv.JetStreamIsCurrent() {
			return fmt.Sprintf("server %d: not current with the meta leader", i+1)
		}
		leader = leader || srv.JetStreamIsLeader()
	}
	if !leader {
		return "no meta leader"
	}
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		return "account info: " + err.Error()
	}
	return ""
}

// ConsumerCounts returns the number of consumers on every stream.
func ConsumerCounts(t testing.TB, js jetstream.JetStream) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string]int{}
	names := js.ListStreams(ctx)
	for info := range names.Info() {
		out[info.Config.Name] = info.State.Consumers
	}
	if err := names.Err(); err != nil {
		t.Fatalf("list streams: %v", err)
	}
	return out
}
