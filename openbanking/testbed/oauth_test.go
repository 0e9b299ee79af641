package testbed_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// TestAuthorizeRejects checks the authorize errors of §2.2: until client_id
// and redirect_uri are validated an error is HTTP 200 JSON with rsp_code
// O0001 (§1); afterwards it goes back to the redirect_uri with error=….
func TestAuthorizeRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(q url.Values)
		detail string
		// redirect is the OAuth error sent back to the redirect_uri; ""
		// means an HTTP 200 JSON answer.
		redirect string
	}{
		{"MissingClientID", func(q url.Values) { q.Del("client_id") }, "3000103", ""},
		{"UnknownClientID", func(q url.Values) { q.Set("client_id", "no-such-client") }, "3000201", ""},
		{"DuplicateClientID", func(q url.Values) { q.Add("client_id", q.Get("client_id")) }, "3000103", ""},
		{"UnknownClientIDBeforeResponseType", func(q url.Values) {
			q.Set("client_id", "no-such-client")
			q.Set("response_type", "token")
		}, "3000201", ""},
		{"MissingRedirectURI", func(q url.Values) { q.Del("redirect_uri") }, "3000103", ""},
		{"DuplicateRedirectURI", func(q url.Values) { q.Add("redirect_uri", redirectURI) }, "3000103", ""},
		{"UnregisteredRedirectURI", func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:8080/evil") }, "3000114", ""},
		{"RedirectURIPrefixOnly", func(q url.Values) { q.Set("redirect_uri", redirectURI+"/x") }, "3000114", ""},
		{"MissingResponseType", func(q url.Values) { q.Del("response_type") }, "3000103", "invalid_request"},
		{"ResponseTypeToken", func(q url.Values) { q.Set("response_type", "token") }, "3000116", "unsupported_response_type"},
		{"MissingScope", func(q url.Values) { q.Del("scope") }, "3000103", "invalid_request"},
		{"EmptyScope", func(q url.Values) { q.Set("scope", " ") }, "3000103", "invalid_request"},
		{"UnregisteredScope", func(q url.Values) { q.Set("scope", "login cardinfo") }, "3000115", "invalid_scope"},
		{"OobScope", func(q url.Values) { q.Set("scope", "oob") }, "3000115", "invalid_scope"},
		{"StateTooShort", func(q url.Values) { q.Set("state", testState[:31]) }, "3000103", "invalid_request"},
		{"StateTooLong", func(q url.Values) { q.Set("state", testState+"x") }, "3000103", "invalid_request"},
		{"MissingState", func(q url.Values) { q.Del("state") }, "3000103", "invalid_request"},
		{"DuplicateState", func(q url.Values) { q.Add("state", testState) }, "3000103", "invalid_request"},
		{"DuplicateScope", func(q url.Values) { q.Add("scope", "login") }, "3000103", "invalid_request"},
		{"AuthType1", func(q url.Values) { q.Set("auth_type", "1") }, "3000103", "invalid_request"},
		{"MissingAuthType", func(q url.Values) { q.Del("auth_type") }, "3000103", "invalid_request"},
		{"AuthType2WithoutBfopHeaders", func(q url.Values) { q.Set("auth_type", "2") }, "3000103", "invalid_request"},
		{"BadYesNo", func(q url.Values) { q.Set("cellphone_cert_yn", "yes") }, "3000103", "invalid_request"},
	}
	f := newFixture(t, testbed.Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := f.authorizeValues()
			tt.change(q)
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				var (
					status int
					h      http.Header
					body   []byte
				)
				if method == http.MethodGet {
					req, _ := http.NewRequest(method, f.srv.URL+"/oauth/2.0/authorize?"+q.Encode(), nil)
					status, h, body = f.do(t, req)
				} else {
					form := url.Values{"user_seq_no": {f.user.UserSeqNo}, "consent": {"agree"}, "account": {f.acct.ID}}
					for k, v := range q {
						form[k] = v
					}
					status, h, body = f.postForm(t, "/oauth/2.0/authorize", form)
				}
				if tt.redirect == "" {
					if status != http.StatusOK {
						t.Fatalf("%s: status = %d, want 200", method, status)
					}
					if ct := h.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
						t.Errorf("%s: Content-Type = %q, want application/json; charset=UTF-8", method, ct)
					}
					m := decode(t, body)
					wantRsp(t, m, "O0001", "인증 파라미터 오류(["+tt.detail+"])")
					if len(m) != 2 {
						t.Errorf("%s: body = %s, want only rsp_code and rsp_message", method, body)
					}
					if loc := h.Get("Location"); loc != "" {
						t.Errorf("%s: Location = %q, want none", method, loc)
					}
					continue
				}
				if status != http.StatusFound {
					t.Fatalf("%s: status = %d, want 302; body %s", method, status, body)
				}
				loc, err := url.Parse(h.Get("Location"))
				if err != nil {
					t.Fatal(err)
				}
				if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
					t.Errorf("%s: redirected to %q, want %q", method, got, redirectURI)
				}
				lq := loc.Query()
				if got := lq.Get("error"); got != tt.redirect {
					t.Errorf("%s: error = %q, want %q", method, got, tt.redirect)
				}
				if got := lq.Get("error_description"); !strings.Contains(got, "O0001") || !strings.Contains(got, "["+tt.detail+"]") {
					t.Errorf("%s: error_description = %q, want O0001 [%s]", method, got, tt.detail)
				}
				// The state goes back as sent; a repeated one is not
				// trusted and not echoed.
				wantState := q.Get("state")
				if len(q["state"]) > 1 {
					wantState = ""
				}
				if got := lq.Get("state"); got != wantState {
					t.Errorf("%s: state = %q, want %q", method, got, wantState)
				}
				if lq.Get("code") != "" {
					t.Errorf("%s: a code was issued: %s", method, loc)
				}
			}
		})
	}
	t.Run("UnparseableQuery", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/authorize?"+f.authorizeValues().Encode()+"&x=%zz", nil)
		status, _, body := f.do(t, req)
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200", status)
		}
		wantRsp(t, decode(t, body), "O0001", "[3000103]")
	})
}

// TestConsentRejects checks that a consent form the simulator cannot apply
// fails like any authorize error found after the redirect_uri is validated:
// back to the redirect_uri with error=invalid_request, nothing registered.
func TestConsentRejects(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	tests := []struct {
		name string
		form func(q url.Values)
	}{
		{"ForeignAccount", func(q url.Values) { q.Add("account", f.oacct.ID) }},
		{"UnknownAccount", func(q url.Values) { q.Add("account", "no-such-account") }},
		{"UnknownUser", func(q url.Values) { q.Set("user_seq_no", "1999999999") }},
		{"MissingUser", func(q url.Values) { q.Del("user_seq_no") }},
		{"MissingConsent", func(q url.Values) { q.Del("consent") }},
		{"BadConsent", func(q url.Values) { q.Set("consent", "yes") }},
		{"DuplicateConsent", func(q url.Values) { q.Add("consent", "agree") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := f.authorizeValues()
			form.Set("user_seq_no", f.user.UserSeqNo)
			form.Set("consent", "agree")
			form.Add("account", f.acct.ID)
			tt.form(form)
			status, h, body := f.postForm(t, "/oauth/2.0/authorize", form)
			if status != http.StatusFound {
				t.Fatalf("status = %d, want 302; body %s", status, body)
			}
			loc, err := url.Parse(h.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			lq := loc.Query()
			if lq.Get("error") != "invalid_request" || !strings.Contains(lq.Get("error_description"), "[3000103]") ||
				lq.Get("state") != testState || lq.Get("code") != "" {
				t.Errorf("redirect = %s, want error=invalid_request, [3000103] and the state", loc)
			}
		})
	}
	t.Run("NothingRegistered", func(t *testing.T) {
		if got := f.sim.Registrations(); len(got) != 0 {
			t.Errorf("registrations = %v, want none", got)
		}
	})
}

func TestTokenRejects(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the form to post; it may change the fixture.
		setup func(t *testing.T, f *fixture) url.Values
		code  string
		msg   string
	}{
		{"MissingGrantType", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Del("grant_type")
			return q
		}, "O0001", "[3000103]"},
		{"UnknownGrantType", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Set("grant_type", "password")
			return q
		}, "O0001", "[3000103]"},
		{"MissingCode", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm("x")
			q.Del("code")
			return q
		}, "O0001", "[3000103]"},
		{"MissingRedirectURI", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Del("redirect_uri")
			return q
		}, "O0001", "[3000103]"},
		{"DuplicateClientID", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Add("client_id", f.inst.ClientID)
			return q
		}, "O0001", "[3000103]"},
		{"DuplicateCode", func(t *testing.T, f *fixture) url.Values {
			c := f.code(t)
			q := f.codeForm(c)
			q.Add("code", c)
			return q
		}, "O0001", "[3000103]"},
		{"UnknownClient", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Set("client_id", "no-such-client")
			return q
		}, "O0001", "[3000201]"},
		{"WrongSecret", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Set("client_secret", "wrong")
			return q
		}, "O0001", "[3000201]"},
		{"RedirectURIMismatch", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			q.Set("redirect_uri", "http://127.0.0.1:8080/other")
			return q
		}, "O0001", "[3000114]"},
		{"CodeUnknown", func(t *testing.T, f *fixture) url.Values {
			return f.codeForm("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
		}, "O0001", "[3002110]"},
		{"CodeReused", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			if _, _, body := f.postForm(t, "/oauth/2.0/token", q); !strings.Contains(string(body), "access_token") {
				t.Fatalf("first exchange failed: %s", body)
			}
			return q
		}, "O0001", "[3002110]"},
		{"CodeExpired", func(t *testing.T, f *fixture) url.Values {
			q := f.codeForm(f.code(t))
			f.clock.Advance(10 * time.Minute)
			return q
		}, "O0001", "[3002110]"},
		{"CodeOfOtherClient", func(t *testing.T, f *fixture) url.Values {
			c := f.code(t)
			other, err := f.sim.AddInstitution(testbed.Institution{Name: "다른앱", RedirectURIs: []string{redirectURI}})
			if err != nil {
				t.Fatal(err)
			}
			q := f.codeForm(c)
			q.Set("client_id", other.ClientID)
			q.Set("client_secret", other.ClientSecret)
			return q
		}, "O0001", "[3002110]"},
		{"NotAForm", func(t *testing.T, f *fixture) url.Values { return nil }, "O0001", "[3000103]"},
		{"ClientCredentialsWrongScope", func(t *testing.T, f *fixture) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {f.inst.ClientID},
				"client_secret": {f.inst.ClientSecret}, "scope": {"oob login"}}
		}, "O0001", "[3000103]"},
		{"ClientCredentialsMissingScope", func(t *testing.T, f *fixture) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "client_id": {f.inst.ClientID},
				"client_secret": {f.inst.ClientSecret}}
		}, "O0001", "[3000103]"},
		{"RefreshGarbled", func(t *testing.T, f *fixture) url.Values {
			return f.refreshForm("not.a.jwt", "inquiry login")
		}, "O0002", "Access Token 거부"},
		{"RefreshSignedByOtherKey", func(t *testing.T, f *fixture) url.Values {
			tok := f.login(t)
			parts := strings.Split(tok.RefreshToken, ".")
			return f.refreshForm(parts[0]+"."+parts[1]+"."+base64.RawURLEncoding.EncodeToString(make([]byte, 32)), "inquiry login")
		}, "O0002", ""},
		{"RefreshWithAccessToken", func(t *testing.T, f *fixture) url.Values {
			return f.refreshForm(f.login(t).AccessToken, "inquiry login")
		}, "O0002", ""},
		{"RefreshRotated", func(t *testing.T, f *fixture) url.Values {
			tok := f.login(t)
			q := f.refreshForm(tok.RefreshToken, "inquiry login")
			if _, _, body := f.postForm(t, "/oauth/2.0/token", q); !strings.Contains(string(body), "access_token") {
				t.Fatalf("first refresh failed: %s", body)
			}
			return q
		}, "O0002", ""},
		{"RefreshRevoked", func(t *testing.T, f *fixture) url.Values {
			tok := f.login(t)
			f.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {f.inst.ClientID},
				"client_secret": {f.inst.ClientSecret}, "access_token": {tok.AccessToken}})
			return f.refreshForm(tok.RefreshToken, "inquiry login")
		}, "O0002", ""},
		{"RefreshExpired", func(t *testing.T, f *fixture) url.Values {
			tok := f.login(t)
			f.clock.Advance(100 * 24 * time.Hour)
			return f.refreshForm(tok.RefreshToken, "inquiry login")
		}, "O0003", "Access Token 만료"},
		{"RefreshWiderScope", func(t *testing.T, f *fixture) url.Values {
			return f.refreshForm(f.login(t).RefreshToken, "inquiry login transfer")
		}, "O0001", "[3000115]"},
		{"RefreshMissingScope", func(t *testing.T, f *fixture) url.Values {
			q := f.refreshForm(f.login(t).RefreshToken, "")
			q.Del("scope")
			return q
		}, "O0001", "[3000103]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, testbed.Config{})
			form := tt.setup(t, f)
			var body []byte
			if form == nil {
				req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/2.0/token",
					strings.NewReader(`{"grant_type":"client_credentials"}`))
				req.Header.Set("Content-Type", "application/json")
				_, _, body = f.do(t, req)
			} else {
				_, _, body = f.postForm(t, "/oauth/2.0/token", form)
			}
			m := decode(t, body)
			wantRsp(t, m, tt.code, tt.msg)
			if _, ok := m["access_token"]; ok {
				t.Errorf("error response has an access_token: %s", body)
			}
		})
	}
}

func (f *fixture) refreshForm(refresh, scope string) url.Values {
	return url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {f.inst.ClientID},
		"client_secret": {f.inst.ClientSecret},
		"refresh_token": {refresh},
		"scope":         {scope},
	}
}

func TestTokenEndpointMethodAndQuery(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	t.Run("GETIsO0010", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/token?"+f.codeForm(f.code(t)).Encode(), nil)
		status, _, body := f.do(t, req)
		if status != http.StatusOK {
			t.Errorf("status = %d, want 200", status)
		}
		wantRsp(t, decode(t, body), "O0010", "허용되지 않은 http method")
	})
	t.Run("ParamsInQueryStringIgnored", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/2.0/token?"+f.codeForm(f.code(t)).Encode(), nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, _, body := f.do(t, req)
		wantRsp(t, decode(t, body), "O0001", "[3000103]")
	})
	t.Run("RevokeGETIsO0010", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/revoke", nil)
		_, _, body := f.do(t, req)
		wantRsp(t, decode(t, body), "O0010", "")
	})
}

func TestRevokeRejects(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	tok := f.login(t)
	tests := []struct {
		name string
		form url.Values
		code string
		msg  string
	}{
		{"MissingToken", url.Values{"client_id": {f.inst.ClientID}, "client_secret": {f.inst.ClientSecret}}, "O0001", "[3000103]"},
		{"WrongSecret", url.Values{"client_id": {f.inst.ClientID}, "client_secret": {"x"}, "access_token": {tok.AccessToken}}, "O0001", "[3000201]"},
		{"UnknownToken", url.Values{"client_id": {f.inst.ClientID}, "client_secret": {f.inst.ClientSecret}, "access_token": {"garbage"}}, "O0002", ""},
		{"RefreshTokenGiven", url.Values{"client_id": {f.inst.ClientID}, "client_secret": {f.inst.ClientSecret}, "access_token": {tok.RefreshToken}}, "O0002", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, body := f.postForm(t, "/oauth/2.0/revoke", tt.form)
			wantRsp(t, decode(t, body), tt.code, tt.msg)
		})
	}
}

var (
	reCode = regexp.MustCompile(`^[0-9A-Za-z]{30}$`)
	reUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

// verifyJWT checks an HS256 token with testKey and returns its payload.
func verifyJWT(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", token, len(parts))
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal(header, &h); err != nil || h["alg"] != "HS256" || h["typ"] != "JWT" {
		t.Fatalf("header = %s, want HS256 JWT", header)
	}
	mac := hmac.New(sha256.New, []byte(testKey))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		t.Fatal("signature does not verify with the signing key")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, payload)
}

func TestOAuthHappyPath(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	q := f.authorizeValues()
	q.Set("client_info", "group-7 회비")

	t.Run("ConsentPage", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/authorize?"+q.Encode(), nil)
		status, h, body := f.do(t, req)
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200:\n%s", status, body)
		}
		if got, want := h.Get("Content-Type"), "text/html; charset=UTF-8"; got != want {
			t.Errorf("Content-Type = %q, want %q", got, want)
		}
		page := string(body)
		for _, want := range []string{
			`<html lang="ko">`, `<meta charset="UTF-8">`, "<title>", "모임봇", "inquiry", "login",
			`value="agree"`, ">동의<", `value="cancel"`, ">취소<",
			`<select id="user_seq_no" name="user_seq_no">`, f.user.Name, f.other.Name,
			`name="account" value="` + f.acct.ID + `" checked`,
			`name="account" value="` + f.acct2.ID + `" checked`,
			`name="account" value="` + f.oacct.ID + `">`,
			"3333-01-2345***", "독서모임 모임통장",
			`<input type="hidden" name="state" value="` + testState + `">`,
			`<input type="hidden" name="client_info" value="group-7 회비">`,
			`method="post" action="/oauth/2.0/authorize"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		for _, bad := range []string{"<link", " src=", "url(", "@import", "<iframe"} {
			if strings.Contains(page, bad) {
				t.Errorf("page has external resource marker %q", bad)
			}
		}
	})

	var code string
	t.Run("AgreeRedirectsWithCode", func(t *testing.T) {
		loc := f.consent(t, q, f.user.UserSeqNo, "agree", f.acct.ID, f.acct2.ID)
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
			t.Errorf("redirect = %q, want %q", got, redirectURI)
		}
		lq := loc.Query()
		code = lq.Get("code")
		if !reCode.MatchString(code) {
			t.Errorf("code = %q, want 30 alphanumerics", code)
		}
		for k, want := range map[string]string{"scope": "inquiry login", "state": testState, "client_info": "group-7 회비"} {
			if got := lq.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	})

	var tok tokens
	t.Run("TokenBody", func(t *testing.T) {
		_, h, body := f.postForm(t, "/oauth/2.0/token", f.codeForm(code))
		if ct := h.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		m := decode(t, body)
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if got, want := strings.Join(keys, ","), "access_token,expires_in,refresh_token,scope,token_type,user_seq_no"; got != want {
			t.Errorf("keys = %s, want %s", got, want)
		}
		if got, ok := m["expires_in"].(json.Number); !ok || got.String() != "7775999" {
			t.Errorf("expires_in = %#v, want the JSON number 7775999", m["expires_in"])
		}
		for k, want := range map[string]string{"token_type": "Bearer", "scope": "inquiry login", "user_seq_no": f.user.UserSeqNo} {
			if got := m[k]; got != want {
				t.Errorf("%s = %v, want %s", k, got, want)
			}
		}
		if err := json.Unmarshal(body, &tok); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("JWTPayload", func(t *testing.T) {
		for name, raw := range map[string]string{"access": tok.AccessToken, "refresh": tok.RefreshToken} {
			p := verifyJWT(t, raw)
			var keys []string
			for k := range p {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if got, want := strings.Join(keys, ","), "aud,exp,iss,jti,scope"; got != want {
				t.Errorf("%s keys = %s, want %s", name, got, want)
			}
			if p["aud"] != f.user.UserSeqNo || p["iss"] != "https://www.openbanking.or.kr" {
				t.Errorf("%s aud, iss = %v, %v", name, p["aud"], p["iss"])
			}
			if got := p["scope"].([]any); len(got) != 2 || got[0] != "inquiry" || got[1] != "login" {
				t.Errorf("%s scope = %v, want [inquiry login]", name, got)
			}
			if !reUUID.MatchString(p["jti"].(string)) {
				t.Errorf("%s jti = %v, want a UUID v4", name, p["jti"])
			}
			wantExp := t0.Unix() + 7775999
			if name == "refresh" {
				wantExp = t0.Add(100 * 24 * time.Hour).Unix()
			}
			if got := p["exp"].(json.Number).String(); got != strconv.FormatInt(wantExp, 10) {
				t.Errorf("%s exp = %s, want %d", name, got, wantExp)
			}
		}
	})

	t.Run("AccessWorks", func(t *testing.T) {
		_, m := f.get(t, "/v2.0/user/me", url.Values{"user_seq_no": {f.user.UserSeqNo}}, tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})

	var rotated tokens
	t.Run("RefreshRotates", func(t *testing.T) {
		_, _, body := f.postForm(t, "/oauth/2.0/token", f.refreshForm(tok.RefreshToken, "login inquiry"))
		m := decode(t, body)
		if len(m) != 6 || m["scope"] != "inquiry login" {
			t.Errorf("refresh body = %s, want the six keys with scope inquiry login", body)
		}
		if err := json.Unmarshal(body, &rotated); err != nil {
			t.Fatal(err)
		}
		if rotated.AccessToken == tok.AccessToken || rotated.RefreshToken == tok.RefreshToken {
			t.Error("refresh returned the old tokens")
		}
		_, _, body = f.postForm(t, "/oauth/2.0/token", f.refreshForm(tok.RefreshToken, "login inquiry"))
		wantRsp(t, decode(t, body), "O0002", "")
		_, m = f.get(t, "/v2.0/user/me", url.Values{"user_seq_no": {f.user.UserSeqNo}}, rotated.AccessToken)
		wantRsp(t, m, "A0000", "")
		// Decided: the old access token stays valid until its expiry.
		_, m = f.get(t, "/v2.0/user/me", url.Values{"user_seq_no": {f.user.UserSeqNo}}, tok.AccessToken)
		wantRsp(t, m, "A0000", "")
	})

	t.Run("Revoke", func(t *testing.T) {
		_, _, body := f.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {f.inst.ClientID},
			"client_secret": {f.inst.ClientSecret}, "access_token": {rotated.AccessToken}})
		m := decode(t, body)
		wantRsp(t, m, "A0000", "")
		if m["access_token"] != rotated.AccessToken || m["refresh_token"] != rotated.RefreshToken {
			t.Errorf("revoke body = %s, want both tokens echoed", body)
		}
		_, m = f.get(t, "/v2.0/user/me", url.Values{"user_seq_no": {f.user.UserSeqNo}}, rotated.AccessToken)
		wantRsp(t, m, "O0002", "")
		_, _, body = f.postForm(t, "/oauth/2.0/token", f.refreshForm(rotated.RefreshToken, "login inquiry"))
		wantRsp(t, decode(t, body), "O0002", "")
		_, _, body = f.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {f.inst.ClientID},
			"client_secret": {f.inst.ClientSecret}, "access_token": {rotated.AccessToken}})
		wantRsp(t, decode(t, body), "O0002", "")
	})

	t.Run("RevokeO0000Quirk", func(t *testing.T) {
		f.sim.SetQuirks(testbed.Quirks{RevokeO0000: true})
		defer f.sim.SetQuirks(testbed.Quirks{})
		fresh := f.login(t)
		_, _, body := f.postForm(t, "/oauth/2.0/revoke", url.Values{"client_id": {f.inst.ClientID},
			"client_secret": {f.inst.ClientSecret}, "access_token": {fresh.AccessToken}})
		wantRsp(t, decode(t, body), "O0000", "")
		_, m := f.get(t, "/v2.0/user/me", url.Values{"user_seq_no": {f.user.UserSeqNo}}, fresh.AccessToken)
		wantRsp(t, m, "O0002", "")
	})

	t.Run("CancelIsAccessDenied", func(t *testing.T) {
		loc := f.consent(t, q, f.user.UserSeqNo, "cancel", f.acct.ID)
		lq := loc.Query()
		if lq.Get("error") != "access_denied" || lq.Get("state") != testState || lq.Get("error_description") == "" || lq.Has("code") {
			t.Errorf("cancel redirect = %s, want error=access_denied with description and state", loc)
		}
	})

	t.Run("AgreeWithoutAccountsIsAccessDenied", func(t *testing.T) {
		loc := f.consent(t, q, f.user.UserSeqNo, "agree")
		if lq := loc.Query(); lq.Get("error") != "access_denied" || lq.Has("code") {
			t.Errorf("redirect = %s, want error=access_denied", loc)
		}
	})

	t.Run("ReconsentKeepsFintechUseNum", func(t *testing.T) {
		before := f.fintech(t, f.acct.ID)
		f.clock.Advance(time.Hour)
		tok2 := f.login(t)
		if got := f.fintech(t, f.acct.ID); got != before {
			t.Errorf("fintech_use_num after re-consent = %s, want %s", got, before)
		}
		_, m := f.get(t, "/v2.0/account/list", url.Values{"user_seq_no": {f.user.UserSeqNo},
			"include_cancel_yn": {"N"}, "sort_order": {"D"}}, tok2.AccessToken)
		var nums []string
		for _, r := range rows(t, m) {
			nums = append(nums, r["fintech_use_num"].(string))
		}
		if !slices.Contains(nums, before) || len(nums) != 2 {
			t.Errorf("account list = %v, want 2 accounts including %s", nums, before)
		}
	})
}

func TestConsentPageSingleUser(t *testing.T) {
	sim := testbed.New(testbed.Config{Clock: testbed.NewClock(t0)})
	inst, err := sim.AddInstitution(testbed.Institution{Name: "모임봇", RedirectURIs: []string{redirectURI}})
	if err != nil {
		t.Fatal(err)
	}
	u, err := sim.AddUser(testbed.User{Name: "김총무"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := sim.AddAccount(testbed.Account{UserSeqNo: u.UserSeqNo, BankCodeStd: "090", AccountNum: "3333-01-2345678"})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, sim)
	resp, err := srv.Client().Get(srv.URL + "/oauth/2.0/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {inst.ClientID}, "redirect_uri": {redirectURI},
		"scope": {"inquiry"}, "state": {testState}, "auth_type": {"0"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page := readAll(t, resp)
	for _, want := range []string{
		`<input type="hidden" name="user_seq_no" value="` + u.UserSeqNo + `">`,
		`name="account" value="` + a.ID + `" checked`,
		"카카오뱅크",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<select") {
		t.Error("page has a user <select> with a single user")
	}
}

func TestClientCredentials(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	_, _, body := f.postForm(t, "/oauth/2.0/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {f.inst.ClientID}, "client_secret": {f.inst.ClientSecret}, "scope": {"oob"}})
	m := decode(t, body)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if got, want := strings.Join(keys, ","), "access_token,client_use_code,expires_in,scope,token_type"; got != want {
		t.Errorf("keys = %s, want %s", got, want)
	}
	if m["scope"] != "oob" || m["client_use_code"] != f.inst.ClientUseCode || m["token_type"] != "Bearer" {
		t.Errorf("body = %s", body)
	}
	p := verifyJWT(t, m["access_token"].(string))
	if p["aud"] != f.inst.ClientUseCode {
		t.Errorf("aud = %v, want %s", p["aud"], f.inst.ClientUseCode)
	}
	if sc := p["scope"].([]any); len(sc) != 1 || sc[0] != "oob" {
		t.Errorf("scope = %v, want [oob]", sc)
	}
}

// TestAuthorizeAuthType2 checks auth_type=2 (§2.2): the Kftc-Bfop-* headers
// are required and must identify a user of the institution by a live access
// token; the consent page then offers only that user and carries the values
// to its form POST as hidden fields.
func TestAuthorizeAuthType2(t *testing.T) {
	f := newFixture(t, testbed.Config{})
	tok := f.login(t)
	oob := f.oobToken(t)
	otherLoc := f.consent(t, f.authorizeValues(), f.other.UserSeqNo, "agree", f.oacct.ID)
	_, _, body := f.postForm(t, "/oauth/2.0/token", f.codeForm(otherLoc.Query().Get("code")))
	var otherTok tokens
	if err := json.Unmarshal(body, &otherTok); err != nil || otherTok.AccessToken == "" {
		t.Fatalf("other user's token: %s", body)
	}
	expired := f.login(t).AccessToken
	if err := f.sim.ExpireToken(expired); err != nil {
		t.Fatal(err)
	}
	valid := func() http.Header {
		h := http.Header{}
		h.Set("Kftc-Bfop-UserSeqNo", f.user.UserSeqNo)
		h.Set("Kftc-Bfop-UserCI", f.user.CI)
		h.Set("Kftc-Bfop-AccessToken", tok.AccessToken)
		return h
	}
	query := f.authorizeValues()
	query.Set("auth_type", "2")

	rejects := []struct {
		name   string
		change func(h http.Header)
		want   string // in error_description
	}{
		{"NoUserSeqNo", func(h http.Header) { h.Del("Kftc-Bfop-UserSeqNo") }, "O0001 인증 파라미터 오류([3000103])"},
		{"NoUserCI", func(h http.Header) { h.Del("Kftc-Bfop-UserCI") }, "[3000103]"},
		{"NoAccessToken", func(h http.Header) { h.Del("Kftc-Bfop-AccessToken") }, "[3000103]"},
		{"EmptyAccessToken", func(h http.Header) { h.Set("Kftc-Bfop-AccessToken", " ") }, "[3000103]"},
		{"RepeatedUserSeqNo", func(h http.Header) { h.Add("Kftc-Bfop-UserSeqNo", f.user.UserSeqNo) }, "[3000103]"},
		{"GarbledToken", func(h http.Header) { h.Set("Kftc-Bfop-AccessToken", "garbled") }, "O0002"},
		{"ExpiredToken", func(h http.Header) { h.Set("Kftc-Bfop-AccessToken", expired) }, "O0003"},
		{"InstitutionToken", func(h http.Header) { h.Set("Kftc-Bfop-AccessToken", oob) }, "O0002"},
		{"OtherUsersToken", func(h http.Header) { h.Set("Kftc-Bfop-AccessToken", otherTok.AccessToken) }, "[3000103]"},
		{"WrongCI", func(h http.Header) { h.Set("Kftc-Bfop-UserCI", f.other.CI) }, "[3000103]"},
		{"UnknownUser", func(h http.Header) { h.Set("Kftc-Bfop-UserSeqNo", "1999999999") }, "[3000103]"},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			h := valid()
			tt.change(h)
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/authorize?"+query.Encode(), nil)
			req.Header = h
			status, rh, body := f.do(t, req)
			if status != http.StatusFound {
				t.Fatalf("status = %d, want 302; body %s", status, body)
			}
			loc, err := url.Parse(rh.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			lq := loc.Query()
			if lq.Get("error") != "invalid_request" || !strings.Contains(lq.Get("error_description"), tt.want) || lq.Get("state") != testState {
				t.Errorf("redirect = %s (%q), want error=invalid_request with %q", loc, lq.Get("error_description"), tt.want)
			}
		})
	}
	t.Run("ValuesInQueryAreNotHeaders", func(t *testing.T) {
		q := f.authorizeValues()
		q.Set("auth_type", "2")
		h := valid()
		for _, k := range []string{"Kftc-Bfop-UserSeqNo", "Kftc-Bfop-UserCI", "Kftc-Bfop-AccessToken"} {
			q.Set(k, h.Get(k))
		}
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/authorize?"+q.Encode(), nil)
		status, rh, _ := f.do(t, req)
		if loc := rh.Get("Location"); status != http.StatusFound || !strings.Contains(loc, "error=invalid_request") {
			t.Errorf("status %d, Location %q; want a redirect with invalid_request", status, loc)
		}
	})
	t.Run("PageOffersOnlyTheUserAndCarriesTheValues", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/oauth/2.0/authorize?"+query.Encode(), nil)
		req.Header = valid()
		status, _, body := f.do(t, req)
		page := string(body)
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200; body %s", status, page)
		}
		for _, want := range []string{
			`<input type="hidden" name="user_seq_no" value="` + f.user.UserSeqNo + `">`,
			`<input type="hidden" name="Kftc-Bfop-UserSeqNo" value="` + f.user.UserSeqNo + `">`,
			`<input type="hidden" name="Kftc-Bfop-AccessToken" value="` + tok.AccessToken + `">`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(page, f.other.UserSeqNo) || strings.Contains(page, "<select") {
			t.Error("page offers another user")
		}
	})
	consents := []struct {
		name    string
		headers bool   // send the values as headers rather than form fields
		user    string // the consenting user
		wantErr string // "" for a code
	}{
		{"FormFields", false, f.user.UserSeqNo, ""},
		{"Headers", true, f.user.UserSeqNo, ""},
		{"OtherUser", false, f.other.UserSeqNo, "invalid_request"},
	}
	for _, tt := range consents {
		t.Run("Consent"+tt.name, func(t *testing.T) {
			form := f.authorizeValues()
			form.Set("auth_type", "2")
			form.Set("user_seq_no", tt.user)
			form.Set("consent", "agree")
			form.Set("account", f.acct.ID)
			if tt.user == f.other.UserSeqNo {
				form.Set("account", f.oacct.ID)
			}
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/oauth/2.0/authorize", nil)
			if tt.headers {
				req.Header = valid()
			} else {
				// The page's hidden fields, named as the headers.
				h := valid()
				for _, k := range []string{"Kftc-Bfop-UserSeqNo", "Kftc-Bfop-UserCI", "Kftc-Bfop-AccessToken"} {
					form.Set(k, h.Get(k))
				}
			}
			req.Body = io.NopCloser(strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			status, rh, body := f.do(t, req)
			if status != http.StatusFound {
				t.Fatalf("status = %d, want 302; body %s", status, body)
			}
			loc, err := url.Parse(rh.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			if got := loc.Query().Get("error"); got != tt.wantErr {
				t.Errorf("error = %q, want %q (%s)", got, tt.wantErr, loc)
			}
			if gotCode := loc.Query().Get("code") != ""; gotCode != (tt.wantErr == "") {
				t.Errorf("code issued = %v, want %v", gotCode, tt.wantErr == "")
			}
		})
	}
}
