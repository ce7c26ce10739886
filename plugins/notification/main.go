// Command jobd-notification is jobd's notification plugin: it delivers the
// push (Expo, FCM), email, SMS (Twilio, Vonage, Plivo) and callback
// channels of notification jobs. jobd starts it; see README.md for its
// configuration and input.
package main

import "github.com/jobd-dev/jobd/sdk"

func main() { sdk.Serve(&Plugin{}) }
