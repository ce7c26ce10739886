package client_test

import (
	"context"
	"log"
	"time"

	"github.com/jobd-dev/jobd/sdk/client"
)

// A service publishes an event for jobd: the jobs whose `on` lists the
// subject run with it as $Input. (Compiled, not run: it needs a running
// jobd. `jobd publish`, which the end-to-end tests run, publishes through
// this package.)
func Example() {
	c, err := client.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Publish(ctx, "events.booking.created",
		map[string]any{"event_id": "booking-1234", "device_token": "tok-1",
			"email": "ada@example.com", "date": "2026-12-24"},
		client.WithMsgID("booking-1234")) // a re-publish is a duplicate, not a second run
	if err != nil {
		log.Fatal(err)
	}
}

// An event that carries earlier events' outputs, readable by the job as
// $Sequence{checkout}{pay}{receipt}. (Compiled, not run.)
func ExampleWithSequence() {
	c, err := client.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	err = c.Publish(context.Background(), "events.order.paid",
		map[string]any{"order_id": 7},
		client.WithSequence(map[string]map[string]any{"checkout": {"pay": map[string]any{"receipt": "r-7"}}}))
	if err != nil {
		log.Fatal(err)
	}
}
