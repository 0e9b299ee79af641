package telegramtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// These tests speak plain net/http to the fake, to pin the wire format
// independently of a client library.

// answer is a decoded Bot API answer.
type answer struct {
	status int
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Code   int             `json:"error_code"`
	Desc   string          `json:"description"`
	Params *struct {
		RetryAfter int   `json:"retry_after"`
		MigrateTo  int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	a, err := doErr(req)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// doErr sends a request and decodes the answer; it is safe to call from
// any goroutine.
func doErr(req *http.Request) (answer, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return answer{}, fmt.Errorf("Content-Type = %q, want application/json", ct)
	}
	var a answer
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return answer{}, fmt.Errorf("decode %s: %w", body, err)
	}
	a.status = resp.StatusCode
	return a, nil
}

func post(t *testing.T, u, contentType, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func (f *fixture) api(method string) string {
	return f.srv.URL + "/bot" + f.srv.Token + "/" + method
}

func TestWireFormat(t *testing.T) {
	f := newFixture(t)
	form := url.Values{
		"chat_id":      {"-1001234567890"},
		"text":         {"<b>회비</b> 안내"},
		"parse_mode":   {"HTML"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"확인","callback_data":"ok:1"}]]}`},
	}.Encode()
	emptyMultipart := func() (string, string) {
		var b strings.Builder
		w := multipart.NewWriter(&b)
		ct := w.FormDataContentType()
		return ct, "" // go-telegram/bot sends no parts and no closing boundary
	}
	mpCT, mpBody := emptyMultipart()

	tests := []struct {
		name        string
		method      string // HTTP method
		url         string
		contentType string
		body        string
		wantStatus  int
		wantDesc    string
		check       func(t *testing.T, result json.RawMessage)
	}{
		{"FormEncoded", "POST", f.api("sendMessage"), "application/x-www-form-urlencoded", form, 200, "", func(t *testing.T, r json.RawMessage) {
			var m telegramtest.Message
			json.Unmarshal(r, &m)
			if m.Text != "회비 안내" || m.Chat.ID != superID || m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "ok:1" {
				t.Errorf("message = %+v", m)
			}
		}},
		{"JSONWithStringChatIDAndObjectMarkup", "POST", f.api("sendMessage"), "application/json",
			`{"chat_id":"-1001234567890","text":"hi","reply_markup":{"inline_keyboard":[[{"text":"A","url":"https://moim.example"}]]}}`, 200, "",
			func(t *testing.T, r json.RawMessage) {
				var m telegramtest.Message
				json.Unmarshal(r, &m)
				if m.Text != "hi" || m.ReplyMarkup == nil || m.ReplyMarkup.InlineKeyboard[0][0].URL != "https://moim.example" {
					t.Errorf("message = %+v", m)
				}
			}},
		{"JSONNumberChatID", "POST", f.api("sendMessage"), "application/json; charset=utf-8", `{"chat_id":-1001234567890,"text":"hi"}`, 200, "", nil},
		{"Query", "GET", f.api("sendMessage") + "?chat_id=-1001234567890&text=q", "", "", 200, "", nil},
		{"EmptyMultipart", "POST", f.api("getMe"), mpCT, mpBody, 200, "", func(t *testing.T, r json.RawMessage) {
			var u telegramtest.User
			json.Unmarshal(r, &u)
			if u.Username != "moim_test_bot" || !u.IsBot || !u.CanJoinGroups {
				t.Errorf("getMe = %+v", u)
			}
		}},
		{"CaseInsensitiveMethod", "POST", f.api("GETME"), "", "", 200, "", nil},
		{"TestEnvironmentPath", "POST", f.srv.URL + "/bot" + f.srv.Token + "/test/getMe", "", "", 200, "", nil},
		{"WrongToken", "POST", f.srv.URL + "/bot1:nope/getMe", "", "", 401, "Unauthorized", nil},
		{"UnknownMethod", "POST", f.api("sendPigeon"), "", "", 404, "Not Found", nil},
		{"NoBotPrefix", "GET", f.srv.URL + "/", "", "", 404, "Not Found", nil},
		{"MissingChat", "POST", f.api("sendMessage"), "application/json", `{"text":"x"}`, 400, "Bad Request: chat_id is empty", nil},
		{"BadJSON", "POST", f.api("sendMessage"), "application/json", `{"chat_id":`, 400, "Bad Request: can't parse request: ", nil},
		{"BadMarkupJSON", "POST", f.api("sendMessage"), "application/x-www-form-urlencoded",
			url.Values{"chat_id": {"-1001234567890"}, "text": {"x"}, "reply_markup": {"{"}}.Encode(), 400,
			"Bad Request: can't parse reply keyboard markup JSON object", nil},
		{"UnknownUpdateQueryID", "POST", f.api("answerCallbackQuery"), "application/json", `{"callback_query_id":"1"}`, 400,
			"Bad Request: query is too old and response timeout expired or query ID is invalid", nil},
		{"Download404", "GET", f.srv.URL + "/file/bot" + f.srv.Token + "/documents/none.csv", "", "", 404, "Not Found", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			a := do(t, req)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (%+v)", a.status, tc.wantStatus, a)
			}
			if tc.wantStatus == 200 {
				if !a.OK || len(a.Result) == 0 {
					t.Fatalf("answer = %+v, want ok with a result", a)
				}
				if tc.check != nil {
					tc.check(t, a.Result)
				}
				return
			}
			if a.OK || a.Code != tc.wantStatus || !strings.HasPrefix(a.Desc, tc.wantDesc) || a.Result != nil {
				t.Errorf("answer = %+v, want ok=false error_code=%d description %q…", a, tc.wantStatus, tc.wantDesc)
			}
		})
	}
}

func TestErrorParameters(t *testing.T) {
	f := newFixture(t)
	f.srv.Throttle("sendmessage", 1, 9) // method names are case-insensitive here too
	a := post(t, f.api("sendMessage"), "application/json", `{"chat_id":-1001234567890,"text":"x"}`)
	if a.status != 429 || a.Desc != "Too Many Requests: retry after 9" || a.Params == nil || a.Params.RetryAfter != 9 {
		t.Errorf("throttled answer = %+v, params %+v", a, a.Params)
	}
	if _, err := f.srv.Migrate(groupID, -1007770001, aliceID); err != nil {
		t.Fatal(err)
	}
	a = post(t, f.api("sendMessage"), "application/json", `{"chat_id":-4001,"text":"x"}`)
	if a.status != 400 || a.Params == nil || a.Params.MigrateTo != -1007770001 {
		t.Errorf("migrated answer = %+v, params %+v", a, a.Params)
	}
	a = post(t, f.api("sendMessage"), "application/json", `{"chat_id":1002,"text":"x"}`)
	if a.status != 403 || a.Params != nil {
		t.Errorf("forbidden answer = %+v, want 403 without parameters", a)
	}
}

// getUpdates calls getUpdates with JSON parameters.
func (f *fixture) getUpdates(t *testing.T, ctx context.Context, params string) ([]telegramtest.Update, answer) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.api("getUpdates"), strings.NewReader(params))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a := do(t, req)
	var ups []telegramtest.Update
	if a.OK {
		if err := json.Unmarshal(a.Result, &ups); err != nil {
			t.Fatal(err)
		}
		if ups == nil {
			t.Errorf("result %s: want a JSON array", a.Result)
		}
	}
	return ups, a
}

func updateIDs(ups []telegramtest.Update) []int {
	var ids []int
	for _, u := range ups {
		ids = append(ids, int(u.UpdateID))
	}
	return ids
}

func TestGetUpdatesOffsetAndLimit(t *testing.T) {
	f := newFixture(t)
	ctx := testCtx(t)
	for _, text := range []string{"1", "2", "3", "4"} {
		if _, err := f.srv.SendText(superID, aliceID, text); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		params      string
		wantIDs     []int
		wantPending int
	}{
		{`{}`, []int{1, 2, 3, 4}, 4},
		{`{"offset":2,"limit":2}`, []int{2, 3}, 3},
		{`{"offset":3}`, []int{3, 4}, 2},
		{`{"offset":-1}`, []int{4}, 1},
		{`{"offset":5}`, nil, 0},
	}
	for _, st := range steps {
		ups, a := f.getUpdates(t, ctx, st.params)
		if !a.OK {
			t.Fatalf("getUpdates %s: %+v", st.params, a)
		}
		if got := updateIDs(ups); !equalInts(got, st.wantIDs) {
			t.Errorf("getUpdates %s = ids %v, want %v", st.params, got, st.wantIDs)
		}
		if got := f.srv.Pending(); got != st.wantPending {
			t.Errorf("after %s: pending %d, want %d", st.params, got, st.wantPending)
		}
	}
	// allowed_updates filters later updates: only callback queries now.
	f.getUpdates(t, ctx, `{"offset":5,"allowed_updates":["callback_query"]}`)
	if u := f.srv.Push(telegramtest.Update{Message: &telegramtest.Message{Text: "dropped"}}); u.UpdateID != 0 {
		t.Errorf("message update queued despite allowed_updates: %+v", u)
	}
	f.getUpdates(t, ctx, `{"offset":5,"allowed_updates":[]}`) // back to the default
	if u := f.srv.Push(telegramtest.Update{Message: &telegramtest.Message{Text: "kept"}}); u.UpdateID != 5 {
		t.Errorf("update id = %d, want 5", u.UpdateID)
	}
}

func TestLongPoll(t *testing.T) {
	t.Run("ReturnsEarlyOnUpdate", func(t *testing.T) {
		f := newFixture(t)
		ctx := testCtx(t)
		done := make(chan pollResult, 1)
		start := time.Now()
		go func() { done <- f.poll(ctx, `{"offset":1,"timeout":30}`) }()
		if err := f.srv.WaitPolling(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.srv.SendText(aliceID, aliceID, "/start"); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := updateIDs(r.ups); !equalInts(got, []int{1}) {
			t.Errorf("poll = ids %v, want [1]", got)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("poll took %v, want an early return", d)
		}
	})
	t.Run("TimeoutAnswersEmpty", func(t *testing.T) {
		f := newFixture(t)
		start := time.Now()
		ups, a := f.getUpdates(t, testCtx(t), `{"timeout":1}`)
		if !a.OK || len(ups) != 0 || string(a.Result) != "[]" {
			t.Errorf("answer = %+v, want ok []", a)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("returned after %v, want about 1s", d)
		}
	})
	t.Run("CapsTimeout", func(t *testing.T) {
		f := newFixture(t, telegramtest.WithMaxPollTimeout(100*time.Millisecond))
		start := time.Now()
		if _, a := f.getUpdates(t, testCtx(t), `{"timeout":50}`); !a.OK {
			t.Fatalf("answer = %+v", a)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v, want the 100ms cap", d)
		}
	})
	t.Run("ClientCancels", func(t *testing.T) {
		f := newFixture(t)
		ctx, cancel := context.WithCancel(testCtx(t))
		done := make(chan pollResult, 1)
		go func() { done <- f.poll(ctx, `{"timeout":30}`) }()
		if err := f.srv.WaitPolling(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if r := <-done; r.err == nil {
			t.Fatal("canceled poll succeeded")
		}
		call, err := f.srv.WaitFor(testCtx(t), func(c telegramtest.Call) bool { return c.Method == "getUpdates" })
		if err != nil {
			t.Fatal(err)
		}
		if call.ErrorCode != 499 {
			t.Errorf("recorded %v, want error code 499", call)
		}
	})
	t.Run("SecondPollerConflicts", func(t *testing.T) {
		f := newFixture(t)
		ctx := testCtx(t)
		first := make(chan pollResult, 1)
		go func() { first <- f.poll(ctx, `{"timeout":30}`) }()
		if err := f.srv.WaitPolling(ctx); err != nil {
			t.Fatal(err)
		}
		if _, a := f.getUpdates(t, ctx, `{"timeout":0}`); !a.OK {
			t.Errorf("second poll = %+v, want ok", a)
		}
		r := <-first
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.a.status != 409 || !strings.HasPrefix(r.a.Desc, "Conflict: terminated by other getUpdates request") {
			t.Errorf("first poll = %+v, want 409 Conflict", r.a)
		}
	})
	t.Run("WebhookConflicts", func(t *testing.T) {
		f := newFixture(t)
		post(t, f.api("setWebhook"), "application/json", `{"url":"https://moim.example/hook"}`)
		if _, a := f.getUpdates(t, testCtx(t), `{}`); a.status != 409 {
			t.Errorf("getUpdates with a webhook = %+v, want 409", a)
		}
	})
	t.Run("CloseEndsPoll", func(t *testing.T) {
		f := &fixture{srv: telegramtest.NewServer()}
		ctx := testCtx(t)
		done := make(chan pollResult, 1)
		go func() { done <- f.poll(ctx, `{"timeout":50}`) }()
		if err := f.srv.WaitPolling(ctx); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		f.srv.Close()
		r := <-done
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close took %v", d)
		}
		if r.err != nil || !r.a.OK || string(r.a.Result) != "[]" {
			t.Errorf("poll ended by Close = %+v, %v; want ok []", r.a, r.err)
		}
		if err := f.srv.WaitPolling(ctx); err == nil {
			t.Error("WaitPolling after Close succeeded")
		}
	})
}

type pollResult struct {
	ups []telegramtest.Update
	a   answer
	err error
}

// poll calls getUpdates; it is safe to call from any goroutine.
func (f *fixture) poll(ctx context.Context, params string) pollResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.api("getUpdates"), strings.NewReader(params))
	if err != nil {
		return pollResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	a, err := doErr(req)
	if err != nil {
		return pollResult{err: err}
	}
	var ups []telegramtest.Update
	if a.OK {
		err = json.Unmarshal(a.Result, &ups)
	}
	return pollResult{ups: ups, a: a, err: err}
}
