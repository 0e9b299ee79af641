package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzOAuthCallback sends arbitrary queries to the OAuth callback and
// paths to the link pages, as a browser or an attacker could: nothing
// panics, nothing is linked, and no link is spent by a forged state.
func FuzzOAuthCallback(f *testing.F) {
	for _, s := range []string{
		"code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"error=access_denied&state=x",
		"state=&code=",
		"code=%ff&state=%00",
		"state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&state=BBBB",
	} {
		f.Add(s, "tok")
	}
	env := newLinkEnv(f)
	link := env.setupLink()
	groupID := env.group().ID
	h := env.eng.HTTPHandler()
	f.Fuzz(func(t *testing.T, query, token string) {
		// The query and the path as they arrive, unparsed by the test.
		req := httptest.NewRequest(http.MethodGet, "/oauth/callback", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			t.Fatalf("a forged callback %q was accepted", query)
		}
		req = httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path, req.URL.RawPath = "/link/"+token, "/link/"+url.PathEscape(token)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if as, err := env.db.Accounts(t.Context(), groupID); err != nil || len(as) != 0 {
			t.Fatalf("accounts %v, %v: want none", as, err)
		}
	})
	// The real link still works: no forged request spent it.
	if code, _, _ := env.get(link); code != http.StatusOK {
		f.Errorf("the treasurer's link answered %d after the fuzzing", code)
	}
}
