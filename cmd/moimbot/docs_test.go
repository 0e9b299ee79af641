package main

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSettingsDocumented: every variable serve reads (named in its flags'
// usage) is in deploy/moimbot.env.example and in the README, so neither
// falls behind the code.
func TestSettingsDocumented(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serveFlags(env{getenv: func(string) string { return "" }}, fs)
	re := regexp.MustCompile(`\$(MOIMBOT_[A-Z0-9_]+)`)
	vars := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		for _, m := range re.FindAllStringSubmatch(f.Usage, -1) {
			vars[m[1]] = true
		}
	})
	if len(vars) < 10 {
		t.Fatalf("found only %d variables in serve's flags: %v", len(vars), vars)
	}
	for _, doc := range []string{"../../deploy/moimbot.env.example", "../../README.md"} {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for v := range vars {
			if !strings.Contains(string(b), v) {
				t.Errorf("%s does not mention %s", doc, v)
			}
		}
	}
}
