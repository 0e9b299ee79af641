package slacktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Command is the slash command the server's payloads carry.
const Command = "/moim"

// slackEscape escapes text as Slack escapes what users type: &, < and >.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// userNameLocked returns a user's name, or the id for an unknown user.
func (s *Server) userNameLocked(id string) string {
	if u, ok := s.users[id]; ok && u.Name != "" {
		return u.Name
	}
	return id
}

// channelNameLocked returns the name Slack gives a channel in payloads:
// "directmessage" for a direct message.
func (s *Server) channelNameLocked(id string) string {
	if st, ok := s.channels[id]; ok {
		if st.im {
			return "directmessage"
		}
		return st.ch.Name
	}
	return "unknown"
}

// triggerIDLocked returns a new trigger id, shaped like Slack's.
func (s *Server) triggerIDLocked() string {
	n := s.nextSeqLocked()
	return fmt.Sprintf("%d.%d.%s", 1000000000000+n, 47445629121, randomHex(16))
}

// commandFields returns the fields of a slash command payload.
func (s *Server) commandFields(user, channel, text string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	trigger := s.triggerIDLocked()
	return map[string]string{
		"token":                 "verification-token-unused",
		"team_id":               s.TeamID,
		"team_domain":           "moim-test",
		"channel_id":            channel,
		"channel_name":          s.channelNameLocked(channel),
		"user_id":               user,
		"user_name":             s.userNameLocked(user),
		"command":               Command,
		"text":                  slackEscape.Replace(text),
		"api_app_id":            DefaultAppID,
		"is_enterprise_install": "false",
		"response_url":          s.URL + "/commands/" + s.TeamID + "/" + strings.SplitN(trigger, ".", 2)[0] + "/" + randomHex(12),
		"trigger_id":            trigger,
	}
}

// CommandForm returns the form body Slack posts to a slash command's
// request URL in HTTP mode: user typed "/moim text" in channel.
func (s *Server) CommandForm(user, channel, text string) []byte {
	v := url.Values{}
	for k, x := range s.commandFields(user, channel, text) {
		v.Set(k, x)
	}
	return []byte(v.Encode())
}

// ClickForm returns the form body Slack posts to the interactivity request
// URL in HTTP mode (a "payload" field holding the JSON of Click's
// block_actions).
func (s *Server) ClickForm(user, channel, messageTS, value string) ([]byte, error) {
	payload, err := s.blockActions(user, channel, messageTS, value)
	if err != nil {
		return nil, err
	}
	return []byte(url.Values{"payload": {string(payload)}}.Encode()), nil
}

// blockActions builds a block_actions payload for a click on the element
// with value in the message ts of channel.
func (s *Server) blockActions(user, channel, ts, value string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messageLocked(channel, ts)
	if m == nil {
		return nil, fmt.Errorf("slacktest: no message %s in %s", ts, channel)
	}
	var blocks []map[string]json.RawMessage
	_ = json.Unmarshal(m.RawBlocks, &blocks)
	action, ok := findAction(blocks, value)
	if !ok {
		return nil, fmt.Errorf("slacktest: message %s in %s has no button or option with value %q", ts, channel, value)
	}
	action["action_ts"] = fmt.Sprintf("%d.%06d", s.now().Unix(), s.nextSeqLocked()%1_000_000)
	name := s.userNameLocked(user)
	payload := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": user, "username": name, "name": name, "team_id": s.TeamID},
		"api_app_id": DefaultAppID,
		"token":      "verification-token-unused",
		"container": map[string]any{
			"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": m.Ephemeral,
		},
		"trigger_id": s.triggerIDLocked(),
		"team":       map[string]any{"id": s.TeamID, "domain": "moim-test"},
		"enterprise": nil,
		"channel":    map[string]any{"id": channel, "name": s.channelNameLocked(channel)},
		"message":    m.wire(),
		"state":      map[string]any{"values": map[string]any{}},
		"response_url": s.URL + "/actions/" + s.TeamID + "/" + strconv.FormatInt(s.seq, 10) + "/" +
			randomHex(12),
		"actions": []any{action},
	}
	return json.Marshal(payload)
}

// findAction finds the button or select option with value in blocks and
// returns the action Slack reports for clicking it.
func findAction(blocks []map[string]json.RawMessage, value string) (map[string]any, bool) {
	for _, b := range blocks {
		var blockID, typ string
		_ = json.Unmarshal(b["block_id"], &blockID)
		_ = json.Unmarshal(b["type"], &typ)
		if typ != "actions" {
			continue
		}
		var els []struct {
			Type     string          `json:"type"`
			ActionID string          `json:"action_id"`
			Text     json.RawMessage `json:"text"`
			Value    string          `json:"value"`
			Options  []struct {
				Text  json.RawMessage `json:"text"`
				Value string          `json:"value"`
			} `json:"options"`
		}
		_ = json.Unmarshal(b["elements"], &els)
		for _, e := range els {
			switch e.Type {
			case "button":
				if e.Value == value {
					return map[string]any{
						"type": "button", "action_id": e.ActionID, "block_id": blockID,
						"text": e.Text, "value": value,
					}, true
				}
			case "static_select":
				for _, o := range e.Options {
					if o.Value == value {
						return map[string]any{
							"type": "static_select", "action_id": e.ActionID, "block_id": blockID,
							"selected_option": map[string]any{"text": o.Text, "value": value},
						}, true
					}
				}
			}
		}
	}
	return nil, false
}

// Signature returns Slack's request signature of body sent at ts with the
// app's signing secret: "v0=" and the hex HMAC-SHA256 of
// "v0:<ts>:<body>".
func Signature(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest returns a POST of body to url, form-encoded and signed as
// Slack signs its requests to an app at ts: the X-Slack-Request-Timestamp
// and X-Slack-Signature headers.
func SignedRequest(url, secret string, ts time.Time, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Signature(secret, ts.Unix(), body))
	return req, nil
}
