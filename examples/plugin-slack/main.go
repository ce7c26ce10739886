// Command jobd-slack is a jobd plugin that posts messages to Slack: the
// walk-through plugin of docs/plugins.md. jobd starts it; see README.md.
package main

import "github.com/jobd-dev/jobd/sdk"

func main() { sdk.Serve(&Plugin{}) }
