package slacktest

import (
	"encoding/json"
	"unicode/utf8"
)

// Block Kit limits the server enforces (Slack's reference, "Blocks" and
// "Block elements"), in characters.
const (
	MaxBlocks         = 50   // blocks in a message
	MaxSectionText    = 3000 // a section's text, a context element's text
	MaxHeaderText     = 150  // a header's plain_text
	MaxContextItems   = 10   // elements of a context block
	MaxActionElements = 25   // elements of an actions block
	MaxButtonText     = 75   // a button's label
	MaxButtonValue    = 2000 // a button's value
	MaxActionID       = 255  // an action_id, a block_id
	MaxSelectOptions  = 100  // options of a static_select
	MaxOptionText     = 75   // an option's text
	MaxOptionValue    = 150  // an option's value
	MaxPlaceholder    = 150  // a select's placeholder
)

// validateBlocks checks a blocks argument the way Slack does, returning
// "invalid_blocks_format" when it is not a JSON array of objects and
// "invalid_blocks" when a block breaks a rule; "" when it is valid.
func validateBlocks(data []byte) string {
	var blocks []map[string]json.RawMessage
	if err := json.Unmarshal(data, &blocks); err != nil {
		return "invalid_blocks_format"
	}
	if len(blocks) > MaxBlocks {
		return "invalid_blocks"
	}
	blockIDs := map[string]bool{}
	actionIDs := map[string]bool{}
	for _, b := range blocks {
		if !validBlock(b, blockIDs, actionIDs) {
			return "invalid_blocks"
		}
	}
	return ""
}

// validBlock checks one block; blockIDs and actionIDs collect the ids seen,
// which must be unique in the message.
func validBlock(b map[string]json.RawMessage, blockIDs, actionIDs map[string]bool) bool {
	var typ, id string
	if json.Unmarshal(b["type"], &typ) != nil {
		return false
	}
	if raw, ok := b["block_id"]; ok {
		if json.Unmarshal(raw, &id) != nil || id == "" || utf8.RuneCountInString(id) > MaxActionID || blockIDs[id] {
			return false
		}
		blockIDs[id] = true
	}
	switch typ {
	case "section":
		t, ok := text(b["text"])
		return ok && validText(t, MaxSectionText, true)
	case "header":
		t, ok := text(b["text"])
		return ok && t.Type == "plain_text" && validText(t, MaxHeaderText, false)
	case "divider":
		return true
	case "context":
		var els []map[string]json.RawMessage
		if json.Unmarshal(b["elements"], &els) != nil || len(els) == 0 || len(els) > MaxContextItems {
			return false
		}
		for _, e := range els {
			t, ok := textElement(e)
			if !ok || !validText(t, MaxSectionText, true) {
				return false
			}
		}
		return true
	case "actions":
		var els []map[string]json.RawMessage
		if json.Unmarshal(b["elements"], &els) != nil || len(els) == 0 || len(els) > MaxActionElements {
			return false
		}
		for _, e := range els {
			if !validElement(e, actionIDs) {
				return false
			}
		}
		return true
	}
	return false
}

// validElement checks a button or static_select of an actions block.
func validElement(e map[string]json.RawMessage, actionIDs map[string]bool) bool {
	var typ, actionID string
	if json.Unmarshal(e["type"], &typ) != nil {
		return false
	}
	if raw, ok := e["action_id"]; ok {
		if json.Unmarshal(raw, &actionID) != nil || actionID == "" || utf8.RuneCountInString(actionID) > MaxActionID || actionIDs[actionID] {
			return false
		}
		actionIDs[actionID] = true
	}
	switch typ {
	case "button":
		t, ok := text(e["text"])
		if !ok || t.Type != "plain_text" || !validText(t, MaxButtonText, false) {
			return false
		}
		var value string
		if raw, ok := e["value"]; ok && (json.Unmarshal(raw, &value) != nil || utf8.RuneCountInString(value) > MaxButtonValue) {
			return false
		}
		return true
	case "static_select":
		if raw, ok := e["placeholder"]; ok {
			t, ok := text(raw)
			if !ok || t.Type != "plain_text" || !validText(t, MaxPlaceholder, false) {
				return false
			}
		}
		var opts []struct {
			Text  json.RawMessage `json:"text"`
			Value *string         `json:"value"`
		}
		if json.Unmarshal(e["options"], &opts) != nil || len(opts) == 0 || len(opts) > MaxSelectOptions {
			return false
		}
		values := map[string]bool{}
		for _, o := range opts {
			t, ok := text(o.Text)
			if !ok || t.Type != "plain_text" || !validText(t, MaxOptionText, false) ||
				o.Value == nil || *o.Value == "" || utf8.RuneCountInString(*o.Value) > MaxOptionValue || values[*o.Value] {
				return false
			}
			values[*o.Value] = true
		}
		return true
	}
	return false
}

// blockText is a text object as posted.
type blockText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji *bool  `json:"emoji"`
}

// text decodes a text object.
func text(raw json.RawMessage) (blockText, bool) {
	var t blockText
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return t, false
	}
	return t, true
}

// textElement decodes a context block's text element.
func textElement(e map[string]json.RawMessage) (blockText, bool) {
	var t blockText
	if json.Unmarshal(e["type"], &t.Type) != nil || json.Unmarshal(e["text"], &t.Text) != nil {
		return t, false
	}
	if raw, ok := e["emoji"]; ok {
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return t, false
		}
		t.Emoji = &b
	}
	return t, true
}

// validText checks a text object: a known type, 1 to limit characters, and
// no emoji flag on mrkdwn (Slack rejects it). mrkdwn is allowed only where
// mrkdwnOK.
func validText(t blockText, limit int, mrkdwnOK bool) bool {
	switch t.Type {
	case "plain_text":
	case "mrkdwn":
		if !mrkdwnOK || t.Emoji != nil {
			return false
		}
	default:
		return false
	}
	n := utf8.RuneCountInString(t.Text)
	return n >= 1 && n <= limit
}
