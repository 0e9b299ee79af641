package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Call is one request the server answered, successfully or not.
type Call struct {
	// Method is the method's canonical name ("sendMessage", whatever
	// case the client used), or the name as sent if unknown.
	Method string
	// Params are all parameters as sent except files: strings raw, other
	// values as JSON text.
	Params map[string]string
	// ChatID is the chat_id parameter (resolved for "@username"), 0 if none.
	ChatID int64
	// MessageID is the message_id parameter; for a successful send, the
	// new message's ID.
	MessageID int
	// Text is the text parameter, or the caption for sendDocument, as
	// sent: markup included.
	Text      string
	ParseMode string
	// ReplyMarkup is the reply_markup parameter if it is a valid inline
	// keyboard, else nil.
	ReplyMarkup *InlineKeyboardMarkup
	// Document is the file uploaded by sendDocument.
	Document *Upload
	// Message is the message the call sent or edited, as the server
	// answered it; nil on failure and for other methods.
	Message *Message
	// Time is the server clock's time when the call arrived.
	Time time.Time
	// ErrorCode is 0 on success, else the error_code answered (401, 400,
	// 403, 404, 409, 429, 5xx), or 499 if the client went away before a
	// long poll was answered.
	ErrorCode   int
	Description string
	RetryAfter  int
}

// OK reports whether the call succeeded.
func (c Call) OK() bool { return c.ErrorCode == 0 }

// fill sets the fields every method shares from the parameters.
func (c *Call) fill(p params) {
	if id, err := strconv.ParseInt(strings.Trim(p.str("chat_id"), `"`), 10, 64); err == nil {
		c.ChatID = id
	}
	if id, err := strconv.Atoi(p.str("message_id")); err == nil {
		c.MessageID = id
	}
	c.Text = p.str("text")
	if c.Text == "" {
		c.Text = p.str("caption")
	}
	c.ParseMode = p.str("parse_mode")
	var mk InlineKeyboardMarkup
	if ok, err := p.jsonValue("reply_markup", &mk); ok && err == nil && mk.InlineKeyboard != nil {
		c.ReplyMarkup = &mk
	}
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	s.broadcastLocked()
}

// broadcastLocked wakes the waiters of WaitN and WaitPolling.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitPolling blocks until a getUpdates call is waiting for updates (a
// client is long polling), or ctx ends or the server closes.
func (s *Server) WaitPolling(ctx context.Context) error {
	for {
		s.mu.Lock()
		n, changed := s.polling, s.changed
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("telegramtest: waited for a long poll: %w", ctx.Err())
		case <-s.done:
			return errClosed
		}
	}
}

// Calls returns the calls of method in arrival order; "" returns all calls.
func (s *Server) Calls(method string) []Call {
	if m, ok := methods[strings.ToLower(method)]; ok {
		method = m.name
	}
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
// already) and returns the first one; it fails when ctx ends or the
// server closes. A nil match matches any call.
func (s *Server) WaitFor(ctx context.Context, match func(Call) bool) (Call, error) {
	got, err := s.WaitN(ctx, 1, match)
	if err != nil {
		return Call{}, err
	}
	return got[0], nil
}

// WaitN blocks until n calls matching match have been recorded and returns
// the first n. On failure it returns those seen so far and an error. match
// runs without the server's lock held, so it may call the server.
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
				return got, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("telegramtest: waited for %d matching calls, saw %d: %w", n, len(got), ctx.Err())
		case <-s.done:
			return got, errClosed
		}
	}
}

// Sending matches successful calls of the sending methods (sendMessage,
// sendDocument) to chatID, for WaitFor and WaitN.
func Sending(chatID int64) func(Call) bool {
	return func(c Call) bool {
		return c.OK() && c.ChatID == chatID && (c.Method == "sendMessage" || c.Method == "sendDocument")
	}
}

// Sent returns the bot's messages in the chat that still exist, oldest
// first, as they are now (edits applied). Text is what users see.
func (s *Server) Sent(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.logs[chatID]
	if l == nil {
		return nil
	}
	var out []Message
	for _, id := range l.order {
		if m := l.byID[id]; m.fromBot && !m.deleted {
			out = append(out, m.msg)
		}
	}
	return out
}

// Message returns a message of the chat, the bot's or a user's, as it is
// now; false if it never existed or was deleted.
func (s *Server) Message(chatID int64, messageID int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(chatID, messageID)
	if m == nil {
		return Message{}, false
	}
	return m.msg, true
}

// Deleted returns the IDs of the messages deleteMessage deleted in the
// chat, the bot's and users', in the order they were deleted.
func (s *Server) Deleted(chatID int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.logs[chatID]; l != nil {
		return append([]int(nil), l.deleted...)
	}
	return nil
}

// Download is one request for a file's bytes at
// /file/bot<token>/<file_path>, successful or not.
type Download struct {
	// FilePath is the file_path requested.
	FilePath string
	// Status is the HTTP status answered: 200, or 401 (wrong token), 404
	// (unknown path), 405 (not GET or HEAD), a FileFault's Status; 0 when
	// the server hung up (FileFault.Hangup).
	Status int
	// Time is the server clock's time when the request arrived.
	Time time.Time
}

// Downloads returns the file download requests in arrival order. Like
// calls, a download is recorded before it is answered.
func (s *Server) Downloads() []Download {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Download(nil), s.downloads...)
}

// Commands returns the command list set for scope and language code ("" for
// all languages) by setMyCommands; false if none is set.
func (s *Server) Commands(scope CommandScope, languageCode string) ([]BotCommand, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds, ok := s.commands[commandKey{scope, languageCode}]
	return append([]BotCommand(nil), cmds...), ok
}

// Pending returns the number of queued updates getUpdates has not yet
// seen confirmed (by a later call with a higher offset).
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Webhook returns the webhook URL set by setWebhook, "" if none.
func (s *Server) Webhook() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// String renders a call for test failure messages.
func (c Call) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", c.Method)
	if c.ChatID != 0 {
		fmt.Fprintf(&b, " chat=%d", c.ChatID)
	}
	if c.Text != "" {
		fmt.Fprintf(&b, " text=%q", c.Text)
	}
	if c.ReplyMarkup != nil {
		mk, _ := json.Marshal(c.ReplyMarkup)
		fmt.Fprintf(&b, " markup=%s", mk)
	}
	if !c.OK() {
		fmt.Fprintf(&b, " -> %d %s", c.ErrorCode, c.Description)
	}
	return b.String()
}
