package slacktest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TokenKind says which token a call carried.
type TokenKind string

// Token kinds of recorded calls.
const (
	TokenNone    TokenKind = "none"    // no token: not_authed
	TokenBot     TokenKind = "bot"     // the server's bot token
	TokenApp     TokenKind = "app"     // the server's app-level token
	TokenInvalid TokenKind = "invalid" // any other token: invalid_auth
)

// maxRequestBody bounds a Web API request's body.
const maxRequestBody = 1 << 20

// maxMessageText is Slack's limit on a message's top-level text, in
// characters (msg_too_long beyond it).
const maxMessageText = 40000

// methodTokens names the token kind each implemented method requires.
var methodTokens = map[string]TokenKind{
	"auth.test":             TokenBot,
	"apps.connections.open": TokenApp,
	"conversations.open":    TokenBot,
	"chat.postMessage":      TokenBot,
	"chat.postEphemeral":    TokenBot,
	"chat.update":           TokenBot,
}

// answer is a Web API response to write.
type answer struct {
	status     int
	retryAfter time.Duration
	html       bool           // a 5xx page instead of JSON
	fields     map[string]any // the JSON object, "ok" included
}

func okAnswer(fields map[string]any) answer {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return answer{status: http.StatusOK, fields: fields}
}

func errAnswer(code string) answer {
	return answer{status: http.StatusOK, fields: map[string]any{"ok": false, "error": code}}
}

// serveAPI answers POST (or GET) /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	args, bearer, err := readArgs(w, r)
	if err != nil {
		writeAnswer(w, errAnswer("invalid_form_data"))
		return
	}
	token := bearer
	if token == "" {
		token = args["token"]
	}
	delete(args, "token")

	s.mu.Lock()
	c := Call{Method: method, Token: s.tokenKind(token), Args: args, Channel: args["channel"], Time: s.now()}
	a := s.handleLocked(r, &c)
	c.Status = a.status
	c.RetryAfter = a.retryAfter
	if ok, _ := a.fields["ok"].(bool); !ok {
		c.Error, _ = a.fields["error"].(string)
	}
	s.calls = append(s.calls, c)
	s.broadcastLocked()
	s.mu.Unlock()
	writeAnswer(w, a)
}

// tokenKind classifies a token.
func (s *Server) tokenKind(token string) TokenKind {
	switch token {
	case "":
		return TokenNone
	case s.BotToken:
		return TokenBot
	case s.AppToken:
		return TokenApp
	}
	return TokenInvalid
}

// handleLocked runs a call: token check, injected faults, then the method.
func (s *Server) handleLocked(r *http.Request, c *Call) answer {
	want, known := methodTokens[c.Method]
	switch {
	case !known:
		return errAnswer("unknown_method")
	case c.Token == TokenNone:
		return errAnswer("not_authed")
	case c.Token == TokenInvalid:
		return errAnswer("invalid_auth")
	case c.Token != want:
		return errAnswer("not_allowed_token_type")
	}
	if f, ok := s.takeFaultLocked(c.Method); ok {
		switch {
		case f.Status == http.StatusTooManyRequests:
			a := errAnswer("ratelimited")
			a.status, a.retryAfter = http.StatusTooManyRequests, f.RetryAfter
			return a
		case f.Status >= 500:
			return answer{status: f.Status, html: true}
		case f.Error != "":
			return errAnswer(f.Error)
		}
	}
	switch c.Method {
	case "auth.test":
		return okAnswer(map[string]any{
			"url": "https://moim-test.slack.com/", "team": DefaultTeamName, "user": "moimbot",
			"team_id": s.TeamID, "user_id": s.BotUserID, "bot_id": DefaultBotID, "is_enterprise_install": false,
		})
	case "apps.connections.open":
		ticket := randomHex(16)
		s.tickets[ticket] = true
		host := r.Host
		if host == "" {
			host = strings.TrimPrefix(s.URL, "http://")
		}
		return okAnswer(map[string]any{"url": "ws://" + host + "/socket-mode?ticket=" + ticket})
	case "conversations.open":
		return s.openLocked(c)
	case "chat.postMessage":
		return s.postLocked(c, false)
	case "chat.postEphemeral":
		return s.postLocked(c, true)
	case "chat.update":
		return s.updateLocked(c)
	}
	return errAnswer("unknown_method")
}

// openLocked is conversations.open for one user.
func (s *Server) openLocked(c *Call) answer {
	if ch := c.Args["channel"]; ch != "" {
		st, ok := s.channels[ch]
		if !ok || !st.im {
			return errAnswer("channel_not_found")
		}
		return okAnswer(map[string]any{"channel": map[string]any{"id": ch}, "already_open": true})
	}
	users := strings.Split(c.Args["users"], ",")
	switch {
	case c.Args["users"] == "":
		return errAnswer("users_list_not_supplied")
	case len(users) > 1:
		return errAnswer("not_enough_users") // group DMs are not modelled
	}
	if errCode := s.dmTargetLocked(users[0]); errCode != "" {
		return errAnswer(errCode)
	}
	_, already := s.dms[users[0]]
	id := s.dmLocked(users[0])
	return okAnswer(map[string]any{"channel": map[string]any{"id": id}, "already_open": already, "no_op": already})
}

// dmTargetLocked checks that the bot may open a direct message with user.
func (s *Server) dmTargetLocked(user string) string {
	if user == s.BotUserID {
		return "cannot_dm_bot"
	}
	u, ok := s.users[user]
	switch {
	case !ok:
		return "user_not_found"
	case u.Deleted:
		return "user_disabled"
	}
	return ""
}

// channelLocked resolves a channel argument for posting: a channel id, a
// direct message id, or a user id (the bot's direct message with them).
func (s *Server) channelLocked(id string) (*channelState, string) {
	if id == "" {
		return nil, "channel_not_found"
	}
	if id[0] == 'U' || id[0] == 'W' {
		if e := s.dmTargetLocked(id); e != "" {
			return nil, "channel_not_found"
		}
		id = s.dmLocked(id)
	}
	st, ok := s.channels[id]
	switch {
	case !ok:
		return nil, "channel_not_found"
	case st.ch.Archived:
		return nil, "is_archived"
	case st.ch.NotMember:
		return nil, "not_in_channel"
	}
	return st, ""
}

// contentCheck checks a message's text and blocks.
func contentCheck(args map[string]string) string {
	text, blocks := args["text"], args["blocks"]
	if !utf8.ValidString(text) || !utf8.ValidString(blocks) {
		return "invalid_arguments"
	}
	if blocks != "" && blocks != "[]" {
		if code := validateBlocks([]byte(blocks)); code != "" {
			return code
		}
	} else if strings.TrimSpace(text) == "" {
		return "no_text"
	}
	if utf8.RuneCountInString(text) > maxMessageText {
		return "msg_too_long"
	}
	return ""
}

// postLocked is chat.postMessage and chat.postEphemeral.
func (s *Server) postLocked(c *Call, ephemeral bool) answer {
	st, code := s.channelLocked(c.Args["channel"])
	if code != "" {
		return errAnswer(code)
	}
	var recipient string
	if ephemeral {
		recipient = c.Args["user"]
		if _, ok := s.users[recipient]; !ok {
			return errAnswer("user_not_found")
		}
	}
	if code := contentCheck(c.Args); code != "" {
		return errAnswer(code)
	}
	m := &Message{
		Channel: st.ch.ID, TS: s.tsLocked(), User: s.BotUserID, Text: c.Args["text"],
		RawBlocks: json.RawMessage(c.Args["blocks"]), Ephemeral: ephemeral, Recipient: recipient,
	}
	if len(m.RawBlocks) == 0 {
		m.RawBlocks = nil
	}
	st.messages = append(st.messages, m)
	c.Channel, c.TS = m.Channel, m.TS
	if ephemeral {
		return okAnswer(map[string]any{"message_ts": m.TS})
	}
	return okAnswer(map[string]any{"channel": m.Channel, "ts": m.TS, "message": m.wire()})
}

// updateLocked is chat.update.
func (s *Server) updateLocked(c *Call) answer {
	id := c.Args["channel"]
	st, ok := s.channels[id]
	if !ok {
		return errAnswer("channel_not_found")
	}
	if st.ch.Archived {
		return errAnswer("is_archived")
	}
	ts := c.Args["ts"]
	var m *Message
	for _, x := range st.messages {
		if x.TS == ts && !x.Ephemeral {
			m = x
		}
	}
	switch {
	case ts == "" || m == nil:
		return errAnswer("message_not_found")
	case m.User != s.BotUserID:
		return errAnswer("cant_update_message")
	}
	if code := contentCheck(c.Args); code != "" {
		return errAnswer(code)
	}
	m.Text = c.Args["text"]
	m.RawBlocks = json.RawMessage(c.Args["blocks"])
	if len(m.RawBlocks) == 0 {
		m.RawBlocks = nil
	}
	m.Edits++
	c.TS = ts
	return okAnswer(map[string]any{"channel": id, "ts": ts, "text": m.Text, "message": m.wire()})
}

// readArgs reads a call's arguments from the query string and a form,
// multipart or JSON body (JSON values other than strings kept as JSON
// text), and the bearer token of the Authorization header.
func readArgs(w http.ResponseWriter, r *http.Request) (map[string]string, string, error) {
	args := map[string]string{}
	for k, v := range r.URL.Query() {
		args[k] = v[0]
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return nil, "", err
	}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(bytes.TrimSpace(body)) == 0:
	case ct == "application/json":
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, "", err
		}
		for k, raw := range obj {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				args[k] = str
			} else {
				args[k] = string(raw)
			}
		}
	case ct == "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Set("Content-Type", mime.FormatMediaType(ct, params))
		if err := r.ParseMultipartForm(maxRequestBody); err != nil {
			return nil, "", err
		}
		for k, v := range r.MultipartForm.Value {
			args[k] = v[0]
		}
	default:
		vals, err := parseQuery(string(body))
		if err != nil {
			return nil, "", err
		}
		for k, v := range vals {
			args[k] = v
		}
	}
	return args, bearer, nil
}

// writeAnswer writes a.
func writeAnswer(w http.ResponseWriter, a answer) {
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(a.retryAfter/time.Second)))
	}
	if a.html {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.status)
		fmt.Fprintf(w, "<html><body>%d %s</body></html>", a.status, http.StatusText(a.status))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(a.fields)
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
