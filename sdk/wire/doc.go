// Package wire holds what crosses a process boundary between jobd and the
// programs around it: the JSON of results, dead letters, dispatch requests,
// job records and management replies; the statuses and error classes they
// carry; the NATS subjects, streams and headers users see.
//
// The engine writes these values and sdk/client, the jobd command line and
// any producer or monitor read them, so every type here has exactly the JSON
// jobd publishes, and a change of a field's name or tag is a change of the
// contract (wire_test.go pins it). The package imports only the standard
// library: a program that reads jobd's results needs nothing else from jobd.
package wire
