// Package schedule computes when a job runs: the first run of a series, each
// next occurrence, and what to do with occurrences missed while jobd was
// down. It is pure logic: no I/O, and no clock. Every time is passed in, so
// the engine (which keeps one pending timer per series and asks for the next
// occurrence each time one fires) and the tests decide what "now" is.
//
// # Schedules
//
// A Spec runs once (at StartAt, or at the trigger time plus Delay), or
// repeats on an interval (Every) or a cron expression (Cron), bounded by Limit
// runs and EndDate. Parse builds a Spec from Raw, the user-facing form, and
// reports every problem at once with the field named.
//
// Intervals are anchored to the schedule: the run after one scheduled at t is
// at t+Every, whenever the run actually happened, so a series does not drift.
// Intervals are exact durations, so a 24h interval keeps to UTC and moves by
// an hour of wall-clock time across a daylight-saving change; use cron for
// "every day at 09:00 local".
//
// # Cron syntax
//
// Five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or
// JAN-DEC) and day of week (0-7 or SUN-SAT; 0 and 7 are Sunday). Each field
// is a comma-separated list of items:
//
//	5        one value
//	1-5      a range (names too: MON-FRI)
//	*        every value (? is the same, in the day fields only)
//	*/15     every 15th value; 10-40/10 and 5/20 step through a range
//	L        last day of the month (day of month)
//	LW       last Monday-to-Friday of the month (day of month)
//	15W      the Monday-to-Friday nearest the 15th, in the same month
//	5L       the last Friday of the month (day of week; FRIL too)
//	FRI#2    the second Friday of the month (day of week; 5#2 too, 1-5)
//
// Descriptors: @hourly, @daily (@midnight), @weekly (Sunday 00:00),
// @monthly, @yearly (@annually). When both the day-of-month and the
// day-of-week fields are restricted, a day matching either one matches
// ("0 9 1 * MON" runs on the 1st and on every Monday), as in standard
// cron; when either field begins with * or ?, a day must match both
// (Vixie cron's rule, so "0 9 */2 * MON" means odd days that are Mondays).
// An expression that can never match ("0 0 30 2 *") is rejected.
//
// # Time zones and daylight saving
//
// Cron is evaluated in Location (default UTC). The package imports
// time/tzdata, so zones work on hosts without zone files. The rule held
// across daylight-saving changes: every distinct wall-clock minute that
// matches runs exactly once.
//   - A minute that does not exist (the clock jumps from 02:00 to 03:00)
//     runs once, at the first instant after the jump (03:00). Several
//     missing minutes, and a match at 03:00 itself, fold into that one run:
//     "*/15 * * * *" runs at 01:45 and then 03:00, once.
//   - A minute that exists twice (the clock goes back from 03:00 to 02:00)
//     runs once, at its first, earlier instant. So on that night "30 2 * * *"
//     runs once, "0 * * * *" runs at 02:00 summer time and next at 03:00
//     winter time (two hours later), and "*/15 * * * *" runs 02:00-02:45 once
//     and then 03:00, with no run during the repeated hour. A series
//     triggered inside the repeated hour does not run wall-clock minutes that
//     already passed in its first pass.
//
// # Missed runs
//
// Due applies the Misfire policy when a timer fires late: MisfireOnce (the
// default) runs once for all that were missed, MisfireSkip drops them (a run
// at most MisfireGrace late still counts as on time), MisfireAll runs each
// one, at most MaxCatchUp.
//
// # Why no cron library
//
// jobd needs L, W and # and exact control over daylight saving. Of the
// candidates: github.com/robfig/cron/v3 has no L, W or #;
// github.com/hashicorp/cronexpr skips a spring-forward day's missing time and
// matches a fall-back day's repeated time twice, by design; and
// github.com/adhocore/gronx's next-tick search has had repeated bugs across
// daylight-saving changes (stuck or wrong-weekday results). Matching cron on
// wall-clock minutes is small, so this package does it itself: it searches
// months, then days (a bit set per month), then hours and minutes, and maps
// each matching wall-clock minute to an instant with the rules above
// (see resolve). A search never looks further than 401 years, the
// Gregorian calendar's cycle.
package schedule
