package sdktest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jobd-dev/jobd/sdk"
	"github.com/jobd-dev/jobd/sdk/sdktest"
)

// greeter is a one-kind plugin: it greets the name in its input.
type greeter struct{}

func (greeter) Info() sdk.Info {
	return sdk.Info{Name: "greeter", Version: "0.1.0", SampleConfig: "[plugins.greeter.config]\n"}
}

func (greeter) Configure(context.Context, *sdk.ConfigureRequest) error { return nil }

func (greeter) Handle(_ context.Context, job *sdk.Job) (*sdk.Result, error) {
	var in struct{ Name string }
	if err := job.Decode(&in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, sdk.Permanent(errors.New("name is required"))
	}
	return &sdk.Result{Output: "hello " + in.Name}, nil
}

// A plugin's handler runs through the real protocol with no jobd. In a test,
// sdktest.Start(t, p) does the same and closes the harness when the test ends.
func Example() {
	h, err := sdktest.New(greeter{})
	if err != nil {
		panic(err)
	}
	defer h.Close()
	if err := h.Configure(nil); err != nil {
		panic(err)
	}

	ok := h.Run(sdktest.Job{Input: `{"name": "Ada"}`})
	fmt.Println(ok.Outcome, string(ok.Output))

	bad := h.Run(sdktest.Job{Input: `{}`})
	fmt.Println(bad.Outcome, bad.Error)
	// Output:
	// ok "hello Ada"
	// permanent name is required
}
