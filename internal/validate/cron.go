package validate

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronFields names the five fields of a cron expression, in order, with the
// values each takes.
var cronFields = [5]struct{ name, values string }{
	{"minute", "0-59"},
	{"hour", "0-23"},
	{"day-of-month", "1-31"},
	{"month", "1-12 or JAN-DEC"},
	{"day-of-week", "0-6 or SUN-SAT"},
}

// cronParser parses five-field cron expressions the way the emulator (and
// the drift-detection schedule Spacelift runs) reads them. Descriptors such
// as @daily are not accepted: the CRD refuses them too.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// neverFiresFrom is the instant from which a schedule's next activation is
// searched. robfig/cron searches five years ahead, which always includes a
// 29 February, so the verdict "never fires" does not depend on the date.
var neverFiresFrom = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// CronSchedule checks one five-field cron expression (minute hour
// day-of-month month day-of-week). It reports, in words that say how to fix
// it, the first field that does not parse, or that the expression never
// fires (e.g. "0 3 30 2 *": there is no 30 February).
func CronSchedule(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("has %d fields, want 5: minute hour day-of-month month day-of-week, e.g. \"0 */4 * * *\"", len(fields))
	}
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := cronParser.Parse(strings.Join(probe, " ")); err != nil {
			hint := ""
			if strings.ContainsAny(f, "LW#") {
				hint = "; L, W and # are not supported"
			}
			return fmt.Errorf("the %s field %q does not parse (%v)%s: it takes %s, lists (1,15), ranges (1-5) and steps (*/10)",
				cronFields[i].name, f, err, hint, cronFields[i].values)
		}
	}
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return fmt.Errorf("does not parse: %w", err)
	}
	if sched.Next(neverFiresFrom).IsZero() {
		return fmt.Errorf("never fires: none of the months %q has the day-of-month %q; use a day that the months have (February has 28, or 29 in leap years; April, June, September and November have 30)",
			fields[3], fields[2])
	}
	return nil
}
