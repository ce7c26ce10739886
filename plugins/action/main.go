// Command jobd-action is jobd's action plugin: it runs action jobs, each an
// HTTP call to a configured third-party API ("app_tag:action_tag"). jobd
// starts it; see README.md for its configuration and input.
package main

import "github.com/jobd-dev/jobd/sdk"

func main() { sdk.Serve(&Plugin{}) }
