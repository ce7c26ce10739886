// Command jobd-feature is jobd's feature plugin: a feature job starts
// another feature by publishing that feature's trigger event through jobd.
// jobd starts it; see README.md for its configuration and input.
package main

import "github.com/jobd-dev/jobd/sdk"

func main() { sdk.Serve(&Plugin{}) }
