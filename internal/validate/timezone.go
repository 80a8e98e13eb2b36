package validate

import (
	"fmt"
	"strings"
	"time"
	// The tz database is embedded so that the verdict does not depend on the
	// files of the image the operator runs in.
	_ "time/tzdata"
)

// TimeZone checks that name is a time zone of the IANA tz database, such as
// UTC or Europe/Berlin. "Local" and the empty name, which Go's
// time.LoadLocation accepts, are refused: they mean the operator's own zone
// and UTC, and Spacelift knows neither spelling. A name that exists once its
// letter case is fixed is suggested.
func TimeZone(name string) error {
	switch name {
	case "":
		return fmt.Errorf("is empty: use an IANA time zone name such as UTC, Europe/Berlin or America/New_York")
	case "Local":
		return fmt.Errorf("\"Local\" names the operator's own zone, not one Spacelift knows: use an IANA time zone name such as UTC or Europe/Berlin")
	}
	if _, err := time.LoadLocation(name); err == nil {
		return nil
	}
	if fixed := titleCaseZone(name); fixed != name {
		if _, err := time.LoadLocation(fixed); err == nil {
			return fmt.Errorf("%q is not in the tz database, whose names are case-sensitive: did you mean %q?", name, fixed)
		}
	}
	return fmt.Errorf("%q is not in the tz database: use an IANA time zone name such as UTC, Europe/Berlin or America/New_York (see the TZ identifier column of https://en.wikipedia.org/wiki/List_of_tz_database_time_zones)", name)
}

// titleCaseZone spells name the way most tz database names are spelt: each
// word, between "/", "_" and "-", with an upper-case first letter and the rest
// lower case ("america/new_york" becomes "America/New_York").
func titleCaseZone(name string) string {
	b := []byte(strings.ToLower(name))
	start := true
	for i, c := range b {
		if start && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		start = c == '/' || c == '_' || c == '-'
	}
	return string(b)
}
