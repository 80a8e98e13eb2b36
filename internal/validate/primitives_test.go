package validate

import (
	"fmt"
	"testing"
)

// errString renders err for comparison; nil is "".
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCronSchedule(t *testing.T) {
	const neverFeb30 = `never fires: none of the months "2" has the day-of-month "30"; use a day that the months have (February has 28, or 29 in leap years; April, June, September and November have 30)`
	cases := []struct {
		expr, want string
	}{
		{"0 */4 * * *", ""},
		{"30 3 * * MON-FRI", ""},
		{"0 0 1,15 JAN,JUL ?", ""},
		{"0 0 29 2 *", ""},    // fires in leap years
		{"0 3 30 2 1", ""},    // day-of-month and day-of-week are ORed: Mondays in February
		{"  0 4 * * *  ", ""}, // surrounding spaces are fine
		{"0 3 30 2 *", neverFeb30},
		{"0 0 31 4,6,9,11 *", `never fires: none of the months "4,6,9,11" has the day-of-month "31"; use a day that the months have (February has 28, or 29 in leap years; April, June, September and November have 30)`},
		{"0 0 30-31 FEB *", `never fires: none of the months "FEB" has the day-of-month "30-31"; use a day that the months have (February has 28, or 29 in leap years; April, June, September and November have 30)`},
		{"0 4 * *", `has 4 fields, want 5: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *"`},
		{"61 * * * *", `the minute field "61" does not parse (end of range (61) above maximum (59): 61): it takes 0-59, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"*/0 * * * *", `the minute field "*/0" does not parse (step of range should be a positive number: */0): it takes 0-59, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 24 * * *", `the hour field "24" does not parse (end of range (24) above maximum (23): 24): it takes 0-23, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 0 0 * *", `the day-of-month field "0" does not parse (beginning of range (0) below minimum (1): 0): it takes 1-31, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 0 L * *", `the day-of-month field "L" does not parse (failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax); L, W and # are not supported: it takes 1-31, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 0 * 13 *", `the month field "13" does not parse (end of range (13) above maximum (12): 13): it takes 1-12 or JAN-DEC, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 0 * * 8", `the day-of-week field "8" does not parse (end of range (8) above maximum (6): 8): it takes 0-6 or SUN-SAT, lists (1,15), ranges (1-5) and steps (*/10)`},
		{"0 0 * * 5-1", `the day-of-week field "5-1" does not parse (beginning of range (5) beyond end of range (1): 5-1): it takes 0-6 or SUN-SAT, lists (1,15), ranges (1-5) and steps (*/10)`},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			if got := errString(CronSchedule(tc.expr)); got != tc.want {
				t.Errorf("CronSchedule(%q)\n got: %s\nwant: %s", tc.expr, got, tc.want)
			}
		})
	}
}

func TestTimeZone(t *testing.T) {
	const unknown = `%q is not in the tz database: use an IANA time zone name such as UTC, Europe/Berlin or America/New_York (see the TZ identifier column of https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)`
	cases := []struct {
		name, want string
	}{
		{"UTC", ""},
		{"Europe/Berlin", ""},
		{"America/Argentina/Buenos_Aires", ""},
		{"Etc/GMT-2", ""},
		{"US/Pacific", ""}, // a backward-compatible link, still in the database
		{"Europe/Berln", fmt.Sprintf(unknown, "Europe/Berln")},
		{"Mars/Olympus_Mons", fmt.Sprintf(unknown, "Mars/Olympus_Mons")},
		{"CEST", fmt.Sprintf(unknown, "CEST")},
		{"europe/berlin", `"europe/berlin" is not in the tz database, whose names are case-sensitive: did you mean "Europe/Berlin"?`},
		{"AMERICA/NEW_YORK", `"AMERICA/NEW_YORK" is not in the tz database, whose names are case-sensitive: did you mean "America/New_York"?`},
		{"Local", `"Local" names the operator's own zone, not one Spacelift knows: use an IANA time zone name such as UTC or Europe/Berlin`},
		{"", `is empty: use an IANA time zone name such as UTC, Europe/Berlin or America/New_York`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := errString(TimeZone(tc.name)); got != tc.want {
				t.Errorf("TimeZone(%q)\n got: %s\nwant: %s", tc.name, got, tc.want)
			}
		})
	}
}

func TestSlugAndSpaceliftName(t *testing.T) {
	const noID = `has no ASCII letter or digit, so Spacelift cannot derive an id from it: add some, e.g. "payments-db" (emoji, punctuation and non-Latin letters are dropped)`
	cases := []struct {
		name, slug, want string
	}{
		{"payments-db", "payments-db", ""},
		{"Payments DB (prod)", "payments-db-prod", ""},
		{"team/a__b", "team-a-b", ""},
		{"🚀 launch", "launch", ""},
		{"Zürich", "z-rich", ""},
		{"🚀🔥", "", noID},
		{"---", "", noID},
		{"数据库", "", noID},
		{"", "", noID},
		{"line one\nline two", "line-one-line-two", `contains a control character such as a newline or tab: write the name on one line`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Slug(tc.name); got != tc.slug {
				t.Errorf("Slug(%q) = %q, want %q", tc.name, got, tc.slug)
			}
			if got := errString(SpaceliftName(tc.name)); got != tc.want {
				t.Errorf("SpaceliftName(%q)\n got: %s\nwant: %s", tc.name, got, tc.want)
			}
		})
	}
}

func TestAtmosNamePattern(t *testing.T) {
	const tail = `: atmos joins the values of the tokens {namespace}, {tenant}, {environment}, {stage} with "-" and ignores anything else`
	cases := []struct {
		pattern, want string
	}{
		{"", ""},
		{"{tenant}-{environment}-{stage}", ""},
		{"{namespace}-{tenant}-{environment}-{stage}", ""},
		{"{tenant}-{enviroment}-{stage}", `part "{enviroment}" is not a token (did you mean {environment}?)` + tail},
		{"{Tenant}-{stage}", `part "{Tenant}" is not a token (did you mean {tenant}?)` + tail},
		{"{tenant}-{stages}", `part "{stages}" is not a token (did you mean {stage}?)` + tail},
		{"acme-{tenant}", `part "acme" is not a token` + tail},
		{"{tenant}_{stage}", `part "{tenant}_{stage}" is not a token` + tail},
		{"{tenant}--{stage}", `part "" is not a token` + tail},
		{"{region}-{stage}", `part "{region}" is not a token` + tail},
		{"{{ .vars.tenant }}-{{ .vars.stage }}", `is a Go template: a name pattern joins the tokens {namespace}, {tenant}, {environment}, {stage} with "-"; a template belongs in stacks.name_template`},
	}
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := errString(AtmosNamePattern(tc.pattern)); got != tc.want {
				t.Errorf("AtmosNamePattern(%q)\n got: %s\nwant: %s", tc.pattern, got, tc.want)
			}
		})
	}
}

func TestStackNamePattern(t *testing.T) {
	const tail = `: the tokens are {namespace}, {tenant}, {environment}, {stage}, {region}, {component}, {base-component}, {attributes}`
	cases := []struct {
		pattern, want string
	}{
		{"", ""},
		{"{tenant}-{environment}-{stage}-{component}", ""},
		{"acme_{tenant}/{base-component}-{attributes}", ""},
		{"{tenant}-{enviroment}-{component}", `token "{enviroment}" is not one atmos replaces (did you mean {environment}?)` + tail},
		{"{tenant}-{base_component}", `token "{base_component}" is not one atmos replaces (did you mean {base-component}?)` + tail},
		{"{tenant}-{name}", `token "{name}" is not one atmos replaces` + tail},
		{"{tenant-{stage}", `has an unbalanced brace: write tokens as {tenant}, {stage}, ...`},
		{"{tenant}-stage}", `has an unbalanced brace: write tokens as {tenant}, {stage}, ...`},
	}
	for _, tc := range cases {
		t.Run(tc.pattern, func(t *testing.T) {
			if got := errString(StackNamePattern(tc.pattern)); got != tc.want {
				t.Errorf("StackNamePattern(%q)\n got: %s\nwant: %s", tc.pattern, got, tc.want)
			}
		})
	}
}

func TestToolVersion(t *testing.T) {
	const shape = `%q is not a version such as 1.5.7 or a version constraint such as ~> 1.5.0 or >= 1.4, < 2.0`
	cases := []struct {
		v, want string
	}{
		{"1.5.7", ""},
		{"v1.9.0-beta1", ""},
		{"1.9", ""},
		{"~> 1.5.0", ""},
		{">= 1.4, < 2.0", ""},
		{"latest", fmt.Sprintf(shape, "latest")},
		{"1.5.x", fmt.Sprintf(shape, "1.5.x")},
		{"terraform 1.5", fmt.Sprintf(shape, "terraform 1.5")},
		{"", fmt.Sprintf(shape, "")},
		{"1.2.3.4", fmt.Sprintf(shape, "1.2.3.4")},
		{"1." + string(make([]byte, 70)), "is 72 characters long, more than the 64 a version may have"},
	}
	for _, tc := range cases {
		t.Run(tc.v, func(t *testing.T) {
			if got := errString(ToolVersion(tc.v)); got != tc.want {
				t.Errorf("ToolVersion(%q)\n got: %s\nwant: %s", tc.v, got, tc.want)
			}
		})
	}
}
