package slacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Call is one Web API request the server answered, successfully or not.
type Call struct {
	// Method is the method's name as requested ("chat.postMessage").
	Method string
	// Token is the kind of token the call carried (a form field "token"
	// or an "Authorization: Bearer" header).
	Token TokenKind
	// Args are the call's arguments except the token: form fields as
	// sent, JSON body members (non-strings as JSON text).
	Args map[string]string
	// Channel is the channel the call addressed; for a post to a user id,
	// the direct message channel it went to.
	Channel string
	// TS is the timestamp of the message posted or updated, "" if none.
	TS string
	// Status is the HTTP status answered; Error the Slack error code of an
	// {"ok":false} answer ("ratelimited" for a 429), "" on success.
	Status int
	Error  string
	// RetryAfter is the Retry-After header sent with a 429, 0 if none.
	RetryAfter time.Duration
	// Time is the server clock's time when the call arrived.
	Time time.Time
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.Status == 200 && c.Error == "" }

// Blocks decodes the call's blocks argument; nil if it has none or they
// do not decode.
func (c Call) Blocks() []Block {
	var bs []Block
	if json.Unmarshal([]byte(c.Args["blocks"]), &bs) != nil {
		return nil
	}
	return bs
}

// String renders a call for test failure messages.
func (c Call) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s token=%s", c.Method, c.Token)
	if c.Channel != "" {
		fmt.Fprintf(&b, " channel=%s", c.Channel)
	}
	if u := c.Args["user"]; u != "" {
		fmt.Fprintf(&b, " user=%s", u)
	}
	if c.TS != "" {
		fmt.Fprintf(&b, " ts=%s", c.TS)
	}
	if t := c.Args["text"]; t != "" {
		fmt.Fprintf(&b, " text=%q", t)
	}
	if !c.OK() {
		fmt.Fprintf(&b, " -> %d %s", c.Status, c.Error)
	}
	return b.String()
}

// Message is a message the bot posted, as it is now.
type Message struct {
	Channel, TS string
	// User is the author: the bot user.
	User string
	Text string
	// RawBlocks are the blocks as posted (JSON), nil if none.
	RawBlocks json.RawMessage
	// Ephemeral messages are shown to Recipient only.
	Ephemeral bool
	Recipient string
	// Edits counts the chat.update calls that changed the message.
	Edits int
}

// Blocks decodes the message's blocks.
func (m Message) Blocks() []Block {
	var bs []Block
	if json.Unmarshal(m.RawBlocks, &bs) != nil {
		return nil
	}
	return bs
}

// wire renders m as the Web API returns messages.
func (m *Message) wire() map[string]any {
	w := map[string]any{"type": "message", "user": m.User, "bot_id": DefaultBotID, "text": m.Text, "ts": m.TS}
	if m.RawBlocks != nil {
		w["blocks"] = m.RawBlocks
	}
	return w
}

// Block is a decoded Block Kit block, for assertions: its type and id, its
// text (section, header: the text object's; context: the text elements'
// texts joined by "\n") and its elements.
type Block struct {
	Type     string
	BlockID  string
	Text     string
	TextType string // "mrkdwn" or "plain_text"
	Elements []Element
}

// Element is a decoded block element: a button (Text is its label), a
// static_select (Placeholder and Options) or a context's text (Text).
type Element struct {
	Type        string
	ActionID    string
	Text        string
	Value       string
	Placeholder string
	Options     []SelectOption
}

// SelectOption is an option of a select menu.
type SelectOption struct {
	Text, Value string
}

// textObject is a Block Kit text object.
type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// UnmarshalJSON decodes a block of any type, keeping what Block holds.
func (b *Block) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type     string      `json:"type"`
		BlockID  string      `json:"block_id"`
		Text     *textObject `json:"text"`
		Elements []Element   `json:"elements"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*b = Block{Type: raw.Type, BlockID: raw.BlockID, Elements: raw.Elements}
	if raw.Text != nil {
		b.Text, b.TextType = raw.Text.Text, raw.Text.Type
	}
	if raw.Type == "context" {
		var texts []string
		for _, e := range raw.Elements {
			if e.Type == "mrkdwn" || e.Type == "plain_text" {
				texts = append(texts, e.Text)
			}
		}
		b.Text = strings.Join(texts, "\n")
	}
	return nil
}

// UnmarshalJSON decodes an element: "text" is a string in text elements
// and a text object in buttons.
func (e *Element) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type        string          `json:"type"`
		ActionID    string          `json:"action_id"`
		Text        json.RawMessage `json:"text"`
		Value       string          `json:"value"`
		Placeholder *textObject     `json:"placeholder"`
		Options     []struct {
			Text  textObject `json:"text"`
			Value string     `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*e = Element{Type: raw.Type, ActionID: raw.ActionID, Value: raw.Value}
	if len(raw.Text) > 0 {
		var s string
		var obj textObject
		if json.Unmarshal(raw.Text, &s) == nil {
			e.Text = s
		} else if json.Unmarshal(raw.Text, &obj) == nil {
			e.Text = obj.Text
		}
	}
	if raw.Placeholder != nil {
		e.Placeholder = raw.Placeholder.Text
	}
	for _, o := range raw.Options {
		e.Options = append(e.Options, SelectOption{Text: o.Text.Text, Value: o.Value})
	}
	return nil
}

// Calls returns the calls of method in arrival order; "" returns all.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor blocks until a call matching match has been recorded (perhaps
// already) and returns the first; it fails when ctx ends or the server
// closes. A nil match matches any call.
func (s *Server) WaitFor(ctx context.Context, match func(Call) bool) (Call, error) {
	got, err := s.WaitN(ctx, 1, match)
	if err != nil {
		return Call{}, err
	}
	return got[0], nil
}

// WaitN blocks until n calls matching match have been recorded and returns
// the first n; on failure, those seen so far and an error. match runs
// without the server's lock held.
func (s *Server) WaitN(ctx context.Context, n int, match func(Call) bool) ([]Call, error) {
	seen := 0
	var got []Call
	for {
		s.mu.Lock()
		fresh := s.calls[seen:]
		seen = len(s.calls)
		changed := s.changed
		s.mu.Unlock()
		for _, c := range fresh {
			if match == nil || match(c) {
				got = append(got, c)
			}
			if len(got) >= n {
				return got[:n], nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("slacktest: waited for %d matching calls, saw %d: %w", n, len(got), ctx.Err())
		case <-s.done:
			return got, errClosed
		}
	}
}

// Method matches the calls of a Web API method, for WaitFor and WaitN.
func Method(name string) func(Call) bool {
	return func(c Call) bool { return c.Method == name }
}

// Posted matches successful chat.postMessage calls to channel (the
// resolved channel: a D… id for a post to a user).
func Posted(channel string) func(Call) bool {
	return func(c Call) bool { return c.OK() && c.Method == "chat.postMessage" && c.Channel == channel }
}

// Ephemeral matches successful chat.postEphemeral calls to user in
// channel.
func Ephemeral(channel, user string) func(Call) bool {
	return func(c Call) bool {
		return c.OK() && c.Method == "chat.postEphemeral" && c.Channel == channel && c.Args["user"] == user
	}
}

// Updated matches successful chat.update calls of the message ts in
// channel.
func Updated(channel, ts string) func(Call) bool {
	return func(c Call) bool { return c.OK() && c.Method == "chat.update" && c.Channel == channel && c.TS == ts }
}

// Messages returns the bot's messages in channel (a channel or D… id),
// ephemeral ones included, oldest first, as they are now.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.channels[channel]
	if st == nil {
		return nil
	}
	out := make([]Message, 0, len(st.messages))
	for _, m := range st.messages {
		out = append(out, *m)
	}
	return out
}

// Message returns the message ts in channel as it is now; false if there
// is none.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.messageLocked(channel, ts); m != nil {
		return *m, true
	}
	return Message{}, false
}

func (s *Server) messageLocked(channel, ts string) *Message {
	st := s.channels[channel]
	if st == nil {
		return nil
	}
	for _, m := range st.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// parseQuery decodes a form body, keeping each key's first value.
func parseQuery(body string) (map[string]string, error) {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, nil
}
