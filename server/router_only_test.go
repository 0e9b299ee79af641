package server

import (
	"encoding/json"
	"testing"

	"github.com/moimbot/moimbot/store"
)

// TestRouterRepliesForTheCallerAlone checks which replies are marked for
// the caller alone (Slack shows them as ephemeral messages): usage errors,
// refusals and help in a group chat, but not boards or answers everyone
// should see, and nothing in a DM, which has only the caller anyway.
func TestRouterRepliesForTheCallerAlone(t *testing.T) {
	env := newRouterEnv(t)
	only := func(ms []store.Message) []string {
		var out []string
		for _, m := range ms {
			var p payload
			if len(m.Payload) > 0 {
				if err := json.Unmarshal(m.Payload, &p); err != nil {
					t.Fatal(err)
				}
			}
			out = append(out, p.Only)
		}
		return out
	}
	tests := []struct {
		name string
		dm   bool
		text string
		want string // the Only of every reply
	}{
		{"UnknownCommand", false, "/frobnicate", routerMember.ID},
		{"Usage", false, "/member add", routerMember.ID},
		{"NotTreasurer", false, "/dues 30000 25", routerMember.ID},
		{"Help", false, "/help", routerMember.ID},
		{"Members", false, "/members", ""},
		{"HelpInDM", true, "/help", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := only(env.say(routerMember, tt.dm, tt.text))
			if len(got) == 0 {
				t.Fatalf("%s: no reply", tt.text)
			}
			for i, g := range got {
				if g != tt.want {
					t.Errorf("%s: reply %d Only = %q, want %q", tt.text, i, g, tt.want)
				}
			}
		})
	}
}
