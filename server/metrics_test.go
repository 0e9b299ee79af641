package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// withMetrics rewires env's client and engine with metrics: the client's
// calls pass KFTCTransport in front of the test's transport.
func withMetrics(env *loopEnv) *Metrics {
	t := env.t
	t.Helper()
	m := NewMetrics("test")
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: env.srv.URL, ClientID: env.party.Institution.ClientID,
		ClientSecret: env.party.Institution.ClientSecret, ClientUseCode: env.party.Institution.ClientUseCode,
		RedirectURI: loopCallback, HTTPClient: &http.Client{Transport: m.KFTCTransport(env.tr)}, Now: env.now,
		Sequence: env.db, Timeout: 10 * time.Second, Retry: env.retry})
	if err != nil {
		t.Fatal(err)
	}
	env.client, env.calls = client, calls
	env.eng = New(Config{DB: env.db, Client: client, Calls: calls,
		Chats: map[string]bot.Chat{loopGroupChat.Platform: env.chat}, Now: env.now, Metrics: m})
	return m
}

// series is one sample of a gathered family: its labels and value.
type series struct {
	labels map[string]string
	value  float64
}

// gather returns the samples of every family, by name.
func gather(t *testing.T, m *Metrics) map[string][]series {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := make(map[string][]series)
	for _, f := range fams {
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			var v float64
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				v = s.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = s.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				v = float64(s.GetHistogram().GetSampleCount())
			}
			out[f.GetName()] = append(out[f.GetName()], series{labels, v})
		}
	}
	return out
}

// value returns the sample of name whose labels are exactly labels (given
// as name, value pairs).
func value(t *testing.T, fams map[string][]series, name string, labels ...string) float64 {
	t.Helper()
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, s := range fams[name] {
		if fmt.Sprint(s.labels) == fmt.Sprint(want) {
			return s.value
		}
	}
	t.Errorf("no sample %s%v among %v", name, want, fams[name])
	return -1
}

// TestMetricsAfterSync: after linking, a pass over three new transactions
// and a dispatch, every family carries the expected label sets and values,
// and nothing that names a person, an account or a token.
func TestMetricsAfterSync(t *testing.T) {
	env := newLoopEnv(t)
	m := withMetrics(env)
	env.link()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.deposit("회비", 30000) // no name: the treasurer reviews it
	env.post("출금", "다과비", 12000, env.clock.Now())
	env.clock.Advance(time.Minute)
	env.eng.Poll(env.ctx, env.acct.ID)
	sent := env.dispatch()

	f := gather(t, m)
	txCalls := float64(env.simCalls(testbed.APITransactionList))
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"moimbot_kftc_calls_total", []string{"api", "token", "rsp_code", "none"}, 1},
		{"moimbot_kftc_calls_total", []string{"api", "account_list", "rsp_code", "A0000"}, 1},
		{"moimbot_kftc_calls_total", []string{"api", "transaction_list", "rsp_code", "A0000"}, txCalls},
		{"moimbot_polls_total", []string{"outcome", "ok"}, 1},
		{"moimbot_polls_total", []string{"outcome", "failed"}, 0},
		{"moimbot_poll_lag_seconds", nil, 1},
		{"moimbot_deposits_total", []string{"outcome", "matched"}, 1},
		{"moimbot_deposits_total", []string{"outcome", "review"}, 1},
		{"moimbot_deposits_total", []string{"outcome", "ignored"}, 1},
		{"moimbot_review_queue_size", nil, 1},
		{"moimbot_kftc_month_calls", nil, txCalls},
		{"moimbot_kftc_month_estimated_fees_won", nil, txCalls * KFTCFeePerCall},
		{"moimbot_deliveries_total", []string{"platform", "test", "outcome", "sent"}, float64(sent)},
		{"moimbot_deliveries_total", []string{"platform", "test", "outcome", "dead"}, 0},
		{"moimbot_outbox_messages", []string{"state", "sent"}, float64(sent)},
		{"moimbot_outbox_messages", []string{"state", "pending"}, 0},
		{"moimbot_outbox_oldest_pending_age_seconds", nil, 0},
		{"moimbot_build_info", []string{"goversion", runtime.Version(), "version", "test"}, 1},
	} {
		if got := value(t, f, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sent == 0 || txCalls == 0 {
		t.Fatalf("the pass sent %d messages after %v transaction-list calls: nothing to measure", sent, txCalls)
	}

	// The same through the handler, in the text format, with nothing in it
	// that names a member, the group, the account or a token.
	srv := httptest.NewServer(m.Handler(nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(text, `moimbot_polls_total{outcome="ok"} 1`) || !strings.Contains(text, "go_goroutines") {
		t.Errorf("GET /metrics = %d:\n%s", resp.StatusCode, text)
	}
	tok := env.token()
	for _, secret := range []string{"김민수", "회비", env.group.Name, env.acct.FintechUseNum, env.acct.Masked, tok.AccessToken, tok.RefreshToken, tok.UserSeqNo} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("the metrics contain %q", secret)
		}
	}
}

// TestMetricsFailures: a failed pass counts as failed with the bank's
// rsp_code on each attempt, a skipped one as backoff, and the chat's
// answers as rate_limited, failed and dead deliveries.
func TestMetricsFailures(t *testing.T) {
	env := newLoopEnv(t)
	m := withMetrics(env)
	env.link()
	env.clock.Advance(time.Minute)
	env.deposit("김민수", 30000)
	env.deposit("이지은", 30000)
	env.deposit("박서준", 30000)
	// Both attempts of the client (env.retry) get a bank error.
	if err := env.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, RspCode: openbanking.CodeBankError, Count: 2}); err != nil {
		t.Fatal(err)
	}
	env.eng.Poll(env.ctx, env.acct.ID) // fails
	env.eng.Poll(env.ctx, env.acct.ID) // backs off, no call
	env.clock.Advance(2 * time.Hour)
	env.eng.Poll(env.ctx, env.acct.ID) // reads the three deposits

	// Each deposit notice meets another answer of the chat.
	answers := []error{
		&bot.RetryAfterError{After: time.Minute, Err: errors.New("429")},
		errors.New("503 bad gateway"),
		fmt.Errorf("chat gone: %w", bot.ErrPermanent),
	}
	env.chat.failWith(loopGroupChat, func(attempt int) error { return answers[(attempt-1)%len(answers)] })
	for range 3 {
		env.dispatch()
		env.clock.Advance(2 * time.Minute)
	}

	f := gather(t, m)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"moimbot_kftc_calls_total", []string{"api", "transaction_list", "rsp_code", "A0002"}, 2},
		{"moimbot_polls_total", []string{"outcome", "failed"}, 1},
		{"moimbot_polls_total", []string{"outcome", "backoff"}, 1},
		{"moimbot_polls_total", []string{"outcome", "ok"}, 1},
		{"moimbot_deposits_total", []string{"outcome", "matched"}, 3},
		{"moimbot_deliveries_total", []string{"platform", "test", "outcome", "rate_limited"}, 1},
		{"moimbot_deliveries_total", []string{"platform", "test", "outcome", "failed"}, 1},
		{"moimbot_deliveries_total", []string{"platform", "test", "outcome", "dead"}, 1},
		{"moimbot_outbox_messages", []string{"state", "dead"}, 1},
	} {
		if got := value(t, f, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value(t, f, "moimbot_outbox_oldest_pending_age_seconds"); got <= 0 {
		t.Errorf("oldest pending age = %v, want > 0 with messages left pending", got)
	}
}

// TestMetricsDeliveryPlatformBounded: a message to a platform the engine
// has no chat for is counted under "other", not under its stored name.
func TestMetricsDeliveryPlatformBounded(t *testing.T) {
	m := NewMetrics("test")
	m.platforms.Store(&map[string]bool{"telegram": true})
	m.delivered("telegram", deliverySent)
	m.delivered("x-anything-a-database-holds", deliverySent)
	f := gather(t, m)
	if got := value(t, f, "moimbot_deliveries_total", "platform", "other", "outcome", "sent"); got != 1 {
		t.Errorf("other = %v, want 1", got)
	}
	for _, s := range f["moimbot_deliveries_total"] {
		if p := s.labels["platform"]; p != "telegram" && p != "other" {
			t.Errorf("platform label %q", p)
		}
	}
}

// TestKFTCTransportCodes: each kind of answer is counted under its API
// and code, once, when the client closes the body.
func TestKFTCTransportCodes(t *testing.T) {
	tests := []struct {
		name, path string
		status     int
		body       string
		wantAPI    string
		wantCode   string
	}{
		{"OK", "/v2.0/account/transaction_list/fin_num", 200, `{"api_tran_id":"x","rsp_code":"A0000","res_list":[]}`, "transaction_list", "A0000"},
		{"TokenExpired", "/v2.0/account/balance/fin_num", 200, `{"rsp_code" : "O0003","rsp_message":"Access Token 만료"}`, "balance", "O0003"},
		{"UpperCaseKey", "/v2.0/user/me", 200, `{"RSP_CODE":"A0003"}`, "user_me", "A0003"},
		{"UnknownCode", "/v2.0/account/list", 200, `{"rsp_code":"Z9999"}`, "account_list", "other"},
		{"LongCode", "/v2.0/account/list", 200, `{"rsp_code":"A00001"}`, "account_list", "other"},
		{"TokenSuccess", "/oauth/2.0/token", 200, `{"access_token":"eyJ...","token_type":"Bearer"}`, "token", "none"},
		{"BankCodeOnly", "/oauth/2.0/revoke", 200, `{"bank_rsp_code":"000"}`, "revoke", "none"},
		{"ServerError", "/v2.0/account/list", 503, "unavailable", "account_list", "http_5xx"},
		{"NotFound", "/v9/elsewhere", 404, "no", "other", "http_4xx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			m := NewMetrics("test")
			client := &http.Client{Transport: m.KFTCTransport(nil)}
			resp, err := client.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(gather(t, m)["moimbot_kftc_calls_total"]); tt.status == 200 && got != 0 {
				t.Errorf("counted before the body was read and closed")
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			resp.Body.Close()
			f := gather(t, m)
			if got := value(t, f, "moimbot_kftc_calls_total", "api", tt.wantAPI, "rsp_code", tt.wantCode); got != 1 {
				t.Errorf("count = %v, want 1", got)
			}
			if got := len(f["moimbot_kftc_calls_total"]); got != 1 {
				t.Errorf("%d series, want 1: %v", got, f["moimbot_kftc_calls_total"])
			}
		})
	}

	t.Run("Refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		m := NewMetrics("test")
		if _, err := (&http.Client{Transport: m.KFTCTransport(nil)}).Get(url + "/v2.0/user/me"); err == nil {
			t.Fatal("a closed server answered")
		}
		if got := value(t, gather(t, m), "moimbot_kftc_calls_total", "api", "user_me", "rsp_code", "error"); got != 1 {
			t.Errorf("count = %v, want 1", got)
		}
	})
}

// TestRSPScanner: the code is found whatever the chunks the body arrives
// in, and only as a key's string value.
func TestRSPScanner(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"First", `{"rsp_code":"A0000","rsp_message":""}`, "A0000"},
		{"AfterHeader", `{"api_tran_id":"1","api_tran_dtm":"2","rsp_code":"A0018"}`, "A0018"},
		{"Blanks", "{\"rsp_code\"\n\t :\r \"O0008\"}", "O0008"},
		{"BankCodeIsNotIt", `{"bank_rsp_code":"000","rsp_code":"A0002"}`, "A0002"},
		{"AsValueFirst", `{"note":"rsp_code","rsp_code":"A0004"}`, "A0004"},
		{"QuoteRestarts", `{""rsp_code":"A0007"}`, "A0007"},
		{"NumberValue", `{"rsp_code":0}`, "none"},
		{"Null", `{"rsp_code":null,"x":"rsp_code"}`, "none"},
		{"Unterminated", `{"rsp_code":"A00`, "none"},
		{"Empty", ``, "none"},
		{"EmptyValue", `{"rsp_code":""}`, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 3, 7, len(tt.body) + 1} {
				var s rspScanner
				for b := []byte(tt.body); len(b) > 0; {
					n := min(size, len(b))
					s.write(b[:n])
					b = b[n:]
				}
				if got := s.code(); got != tt.want {
					t.Errorf("in chunks of %d: code = %q, want %q", size, got, tt.want)
				}
			}
		})
	}
}

// FuzzRSPScanner: the scanner never panics, reads the same whatever the
// chunks, and agrees with a JSON decoder on bodies whose only mention of
// rsp_code is a top-level key.
func FuzzRSPScanner(f *testing.F) {
	for _, s := range []string{`{"rsp_code":"A0000"}`, `{"RSP_CODE" :"O0002","a":1}`, `{"a":{"rsp_code":"A0002"}}`,
		`{"rsp_code":"A0000","rsp_code":"A0002"}`, `"rsp_code"`, `{"bank_rsp_code":"000"}`, "\x00\xff\"", `{"rsp_code":"\u0041"}`} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, body []byte, chunk uint8) {
		var whole rspScanner
		whole.write(body)
		var parts rspScanner
		size := int(chunk%16) + 1
		for b := body; len(b) > 0; {
			n := min(size, len(b))
			parts.write(b[:n])
			b = b[n:]
		}
		got := whole.code()
		if p := parts.code(); p != got {
			t.Fatalf("whole %q, in chunks of %d %q", got, size, p)
		}
		if _, ok := kftcCodes[got]; !ok && got != "none" && got != labelOther {
			t.Fatalf("code %q is not a label value", got)
		}
		if strings.Count(strings.ToLower(string(body)), "rsp_code") != 1 || strings.Contains(string(body), `\`) {
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return
		}
		var v string
		raw, ok := obj["rsp_code"]
		if !ok || json.Unmarshal(raw, &v) != nil {
			return
		}
		want := labelOther
		if c, known := kftcCodes[v]; known {
			want = c
		}
		if got != want {
			t.Fatalf("%q: code %q, want %q", body, got, want)
		}
	})
}

// BenchmarkKFTCTransport measures what counting adds to a transaction
// list answer of 25 rows, read the way the client reads it.
func BenchmarkKFTCTransport(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"api_tran_id":"9d41f0a2-5c6e-4b8a-a3f7-1e2d3c4b5a69","api_tran_dtm":"20261125100210804","rsp_code":"A0000","rsp_message":"","res_list":[`)
	for i := range 25 {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`{"tran_date":"20261125","tran_time":"100210","inout_type":"입금","print_content":"11월회비김민수","tran_amt":"30000","after_balance_amt":"1230000"}`)
	}
	body.WriteString(`]}`)
	payload := []byte(body.String())
	for _, tt := range []struct {
		name string
		wrap func(http.RoundTripper) http.RoundTripper
	}{
		{"Bare", func(rt http.RoundTripper) http.RoundTripper { return rt }},
		{"Counted", NewMetrics("bench").KFTCTransport},
	} {
		b.Run(tt.name, func(b *testing.B) {
			rt := tt.wrap(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(string(payload))), Request: r}, nil
			}))
			req := httptest.NewRequest(http.MethodGet, "http://bank/v2.0/account/transaction_list/fin_num", nil)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				resp, err := rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.ReadAll(io.LimitReader(resp.Body, 4<<20))
				resp.Body.Close()
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkScrape measures one scrape of a store holding 10,000 outbox
// messages (what the outbox keeps for 30 days of a few hundred groups), all
// but the last 10 of them delivered: the store keeps the counts by state,
// and the scrape reads the open messages alone.
func BenchmarkScrape(b *testing.B) {
	ctx := b.Context()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "moimbot.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	msgs := make([]store.OutboxMessage, 10_000)
	for i := range msgs {
		msgs[i] = store.OutboxMessage{Key: fmt.Sprintf("bench/%d", i), Chat: store.ChatRef{Platform: "telegram", ID: strconv.Itoa(i % 500)},
			Kind: bot.KindDeposit, Text: "💰 김민수님 30,000원 입금 — 11월 회비 완납"}
	}
	if _, err := db.Enqueue(ctx, msgs...); err != nil {
		b.Fatal(err)
	}
	for sent := 0; sent < len(msgs)-10; {
		claimed, err := db.Claim(ctx, time.Now(), min(500, len(msgs)-10-sent))
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range claimed {
			if err := db.MarkSent(ctx, m.ID); err != nil {
				b.Fatal(err)
			}
		}
		sent += len(claimed)
	}
	eng := New(Config{DB: db, Metrics: NewMetrics("bench"), Chats: map[string]bot.Chat{"telegram": newLoopChat()}})
	m := eng.metrics
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
