package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/jobd-dev/jobd/sdk/client"
	"github.com/jobd-dev/jobd/sdk/wire"
)

// Message shows the NATS message Publish sends: the input as the body, or
// with WithSequence the envelope and its header.
func ExampleMessage() {
	msg, err := client.Message("events.user.created",
		map[string]any{"email": "ada@example.com"},
		client.WithSequence(map[string]map[string]any{"signup": {"create_user": map[string]any{"id": 7}}}),
		client.WithMsgID("user-7-created"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.Subject)
	fmt.Println(wire.EnvelopeHeader+":", msg.Header.Get(wire.EnvelopeHeader))
	fmt.Println(wire.MsgIDHeader+":", msg.Header.Get(wire.MsgIDHeader))
	fmt.Println(string(msg.Data))
	// Output:
	// events.user.created
	// Jobd-Envelope: v1
	// Nats-Msg-Id: user-7-created
	// {"input":{"email":"ada@example.com"},"sequence":{"signup":{"create_user":{"id":7}}}}
}

// Publish sends an event; every job whose `on` names the subject runs with
// it as $Input. It needs a running jobd, so this example is not run.
func ExampleClient_Publish() {
	c, err := client.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Publish(ctx, "events.user.created", map[string]any{"email": "ada@example.com"}, client.WithMsgID("user-7-created"))
	if errors.Is(err, client.ErrNotCaptured) {
		log.Fatal("no job triggers on events.user.created")
	}
	if err != nil {
		log.Fatal(err)
	}
}

// Dispatch runs a job defined in jobd's configuration, here every day at
// 9:00 in Paris for a week, and returns its id for the management calls.
// It needs a running jobd, so this example is not run.
func ExampleClient_Dispatch() {
	c, err := client.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := c.Dispatch(ctx, &wire.DispatchRequest{
		Event:    "daily_digest",
		Input:    json.RawMessage(`{"email": "ada@example.com"}`),
		Schedule: &wire.Schedule{Cron: "0 9 * * *", TZ: "Europe/Paris", Limit: 7},
	})
	switch {
	case errors.Is(err, client.ErrBadRequest):
		log.Fatalf("jobd refused the job: %v", err) // the message says what is wrong
	case errors.Is(err, client.ErrNoJobd):
		log.Fatal(err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(reply.JobID, reply.Status, reply.NextRunAt)

	job, err := c.Job(ctx, reply.JobID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.Status, job.ExecutionCount)
}
