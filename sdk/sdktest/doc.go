// Package sdktest runs a jobd plugin's handler through the real plugin
// protocol inside a Go test, with no jobd and no plugin process.
//
// [Start] serves an [sdk.Plugin] over go-plugin's gRPC transport in the
// test's own process and returns a [Harness] that plays jobd's part: it
// reads the plugin's info, hands it a configuration, sends it jobs and
// collects what it published through the host:
//
//	h := sdktest.Start(t, &slack.Plugin{}, sdktest.WithConfig(map[string]any{"base_url": srv.URL}))
//	res := h.Run(sdktest.Job{Input: `{"channel": "#ops", "text": "hello"}`})
//	if res.Outcome != sdktest.OK {
//		t.Fatalf("outcome %v: %s", res.Outcome, res.Error)
//	}
//
// [Conformance] is a suite every plugin should pass: its info is valid, its
// sample configuration is accepted, it honours cancellation and deadlines,
// and it classifies its errors (an invalid input is permanent). Call it from
// one test per kind, with a configuration that points the plugin at local
// servers: without Case.Config the jobs run with the sample configuration,
// which names the real service.
//
//	func TestConformance(t *testing.T) {
//		srv := httptest.NewServer(fakeSlack{}) // answers like Slack's chat.postMessage
//		defer srv.Close()
//		sdktest.Conformance(t, func() sdk.Plugin { return &slack.Plugin{} }, sdktest.Case{
//			Config:   map[string]any{"base_url": srv.URL},
//			Input:    map[string]any{"channel": "#ops", "text": "hello"},
//			BadInput: map[string]any{"channel": ""},
//		})
//	}
//
// examples/plugin-slack/slack_test.go in the jobd repository is a complete
// one, fake Slack included. The package's Example runs a plugin through [New] offline.
//
// To run a built plugin executable the way jobd does (a child process, the
// handshake on its stdout, automatic mutual TLS), use package
// github.com/jobd-dev/jobd/sdk/host.
package sdktest
