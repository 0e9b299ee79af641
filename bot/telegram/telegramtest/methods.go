package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Telegram's size limits.
const (
	maxTextLen        = 4096     // message text, UTF-16 units after parsing
	maxCaptionLen     = 1024     // caption, likewise
	maxCallbackData   = 64       // bytes
	maxCallbackAnswer = 200      // answerCallbackQuery text, characters
	maxUpload         = 50 << 20 // sendDocument upload, bytes
	maxDownload       = 20 << 20 // getFile, bytes
	maxCommands       = 100
	maxDeleteAge      = 48 * time.Hour // deleteMessage
)

type method struct {
	name string
	fn   func(*Server, *request) (any, *apiError)
}

// methods maps lower-case method names (Telegram's are case-insensitive)
// to handlers.
var methods = map[string]method{}

func init() {
	for _, m := range []method{
		{"getMe", (*Server).getMe},
		{"getUpdates", (*Server).getUpdates},
		{"sendMessage", (*Server).sendMessage},
		{"editMessageText", (*Server).editMessageText},
		{"editMessageReplyMarkup", (*Server).editMessageReplyMarkup},
		{"deleteMessage", (*Server).deleteMessage},
		{"answerCallbackQuery", (*Server).answerCallbackQuery},
		{"sendDocument", (*Server).sendDocument},
		{"getFile", (*Server).getFile},
		{"setMyCommands", (*Server).setMyCommands},
		{"deleteMyCommands", (*Server).deleteMyCommands},
		{"getMyCommands", (*Server).getMyCommands},
		{"setWebhook", (*Server).setWebhook},
		{"deleteWebhook", (*Server).deleteWebhook},
		{"getWebhookInfo", (*Server).getWebhookInfo},
		{"getChat", (*Server).getChat},
		{"leaveChat", (*Server).leaveChat},
	} {
		methods[strings.ToLower(m.name)] = m
	}
}

func (s *Server) getMe(*request) (any, *apiError) { return s.bot, nil }

// getUpdates answers the queued updates from offset on, waiting up to
// timeout seconds for the first one.
func (s *Server) getUpdates(rq *request) (any, *apiError) {
	p := rq.params
	offset, _, aerr := p.int64("offset")
	if aerr != nil {
		return nil, aerr
	}
	limit, hasLimit, aerr := p.int64("limit")
	if aerr != nil {
		return nil, aerr
	}
	if !hasLimit || limit < 1 || limit > 100 {
		limit = 100
	}
	timeout, _, aerr := p.int64("timeout")
	if aerr != nil {
		return nil, aerr
	}
	wait := min(time.Duration(max(timeout, 0))*time.Second, s.maxPoll)
	var allowed []string
	hasAllowed, err := p.jsonValue("allowed_updates", &allowed)
	if err != nil {
		return nil, badRequest("can't parse allowed updates")
	}

	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		return nil, &apiError{code: http.StatusConflict, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	}
	s.confirmLocked(offset)
	if hasAllowed {
		s.setAllowedLocked(allowed)
	}
	if s.pollKick != nil {
		close(s.pollKick) // Telegram ends the older of two concurrent polls with 409
	}
	kick := make(chan struct{})
	s.pollKick = kick
	release := func() {
		if s.pollKick == kick {
			s.pollKick = nil
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	waiting := false
	defer func() {
		if waiting {
			s.mu.Lock()
			s.polling--
			s.mu.Unlock()
		}
	}()
	for {
		if len(s.updates) > 0 || wait == 0 {
			out := append([]Update{}, s.updates[:min(int64(len(s.updates)), limit)]...)
			release()
			s.mu.Unlock()
			return out, nil
		}
		if !waiting {
			waiting = true
			s.polling++
			s.broadcastLocked()
		}
		notify := s.notify
		s.mu.Unlock()
		select {
		case <-notify:
			s.mu.Lock()
		case <-timer.C:
			s.mu.Lock()
			wait = 0
		case <-kick:
			return nil, &apiError{code: http.StatusConflict, desc: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		case <-rq.ctx.Done():
			s.mu.Lock()
			release()
			s.mu.Unlock()
			return nil, errClientGone
		case <-s.done:
			return []Update{}, nil
		}
	}
}

// confirmLocked forgets updates below offset; a negative offset keeps only
// the last -offset updates.
func (s *Server) confirmLocked(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && s.updates[i].UpdateID < offset {
			i++
		}
		s.updates = s.updates[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.updates) {
			s.updates = s.updates[len(s.updates)-keep:]
		}
	}
}

func (s *Server) setAllowedLocked(allowed []string) {
	if len(allowed) == 0 {
		s.allowed = nil // [] restores the default
		return
	}
	s.allowed = append([]string{}, allowed...)
}

func (s *Server) sendMessage(rq *request) (any, *apiError) {
	p := rq.params
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, aerr := s.chatForBotLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	rq.call.ChatID = chat.ID
	if strings.TrimSpace(p.str("text")) == "" {
		return nil, badRequest("message text is empty")
	}
	text, ents, aerr := render(p, "text", maxTextLen)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p.str("reply_markup"), true)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.limitLocked(chat); aerr != nil {
		return nil, aerr
	}
	m := s.newMessageLocked(chat, ptr(s.botSender()), true)
	m.msg.Text, m.msg.Entities, m.msg.ReplyMarkup = text, ents, mk
	rq.call.MessageID, rq.call.Message = m.msg.MessageID, ptr(m.msg)
	return m.msg, nil
}

func (s *Server) sendDocument(rq *request) (any, *apiError) {
	p := rq.params
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, aerr := s.chatForBotLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	rq.call.ChatID = chat.ID
	var doc *Document
	up, isUpload := p.files["document"]
	if ref := p.str("document"); !isUpload && ref != "" {
		if name, ok := strings.CutPrefix(ref, "attach://"); ok {
			up, isUpload = p.files[name]
		} else if f := s.files[ref]; f != nil {
			doc = &Document{FileID: f.file.FileID, FileUniqueID: f.file.FileUniqueID, FileName: f.upload.FileName, MimeType: f.upload.MimeType, FileSize: f.file.FileSize}
		} else {
			// Telegram would fetch an HTTP URL; the fake does not.
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
	}
	switch {
	case isUpload && len(up.Data) == 0:
		return nil, badRequest("file must be non-empty")
	case isUpload && len(up.Data) > maxUpload:
		return nil, &apiError{code: http.StatusRequestEntityTooLarge, desc: "Request Entity Too Large"}
	case !isUpload && doc == nil:
		return nil, badRequest("there is no document in the request")
	}
	if isUpload {
		rq.call.Document = ptr(up)
	}
	caption, ents, aerr := render(p, "caption", maxCaptionLen)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p.str("reply_markup"), true)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := s.limitLocked(chat); aerr != nil {
		return nil, aerr
	}
	if isUpload {
		doc = s.storeFileLocked(up)
	}
	m := s.newMessageLocked(chat, ptr(s.botSender()), true)
	m.msg.Document, m.msg.Caption, m.msg.CaptionEntities, m.msg.ReplyMarkup = doc, caption, ents, mk
	rq.call.MessageID, rq.call.Message = m.msg.MessageID, ptr(m.msg)
	return m.msg, nil
}

// editTarget finds the bot's message an edit names.
func (s *Server) editTargetLocked(rq *request) (Chat, *storedMessage, *apiError) {
	p := rq.params
	if p.str("inline_message_id") != "" {
		return Chat{}, nil, badRequest("MESSAGE_ID_INVALID") // inline mode is not modelled
	}
	chat, aerr := s.chatForBotLocked(p)
	if aerr != nil {
		return Chat{}, nil, aerr
	}
	rq.call.ChatID = chat.ID
	id, ok, aerr := p.int64("message_id")
	if aerr != nil {
		return Chat{}, nil, aerr
	}
	if !ok {
		return Chat{}, nil, badRequest("message identifier is not specified")
	}
	m := s.messageLocked(chat.ID, int(id))
	switch {
	case m == nil:
		return Chat{}, nil, badRequest("message to edit not found")
	case !m.fromBot:
		return Chat{}, nil, badRequest("message can't be edited")
	}
	return chat, m, nil
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

// editMessageText replaces a message's text and keyboard; a missing
// reply_markup removes the keyboard, as on Telegram.
func (s *Server) editMessageText(rq *request) (any, *apiError) {
	p := rq.params
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, m, aerr := s.editTargetLocked(rq)
	if aerr != nil {
		return nil, aerr
	}
	if m.msg.Document != nil {
		return nil, badRequest("there is no text in the message to edit")
	}
	if strings.TrimSpace(p.str("text")) == "" {
		return nil, badRequest("message text is empty")
	}
	text, ents, aerr := render(p, "text", maxTextLen)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(p.str("reply_markup"), false)
	if aerr != nil {
		return nil, aerr
	}
	if text == m.msg.Text && reflect.DeepEqual(ents, m.msg.Entities) && reflect.DeepEqual(mk, m.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	if aerr := s.limitLocked(chat); aerr != nil {
		return nil, aerr
	}
	m.msg.Text, m.msg.Entities, m.msg.ReplyMarkup, m.msg.EditDate = text, ents, mk, s.now().Unix()
	rq.call.Message = ptr(m.msg)
	return m.msg, nil
}

func (s *Server) editMessageReplyMarkup(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, m, aerr := s.editTargetLocked(rq)
	if aerr != nil {
		return nil, aerr
	}
	mk, aerr := parseMarkup(rq.params.str("reply_markup"), false)
	if aerr != nil {
		return nil, aerr
	}
	if reflect.DeepEqual(mk, m.msg.ReplyMarkup) {
		return nil, badRequest(notModified)
	}
	if aerr := s.limitLocked(chat); aerr != nil {
		return nil, aerr
	}
	m.msg.ReplyMarkup, m.msg.EditDate = mk, s.now().Unix()
	rq.call.Message = ptr(m.msg)
	return m.msg, nil
}

// deleteMessage deletes the bot's messages anywhere and users' messages in
// private chats, less than 48 hours old; the bot is not modelled as a group
// admin.
func (s *Server) deleteMessage(rq *request) (any, *apiError) {
	p := rq.params
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, aerr := s.chatForBotLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	rq.call.ChatID = chat.ID
	id, ok, aerr := p.int64("message_id")
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, badRequest("message identifier is not specified")
	}
	m := s.messageLocked(chat.ID, int(id))
	switch {
	case m == nil:
		return nil, badRequest("message to delete not found")
	case !m.fromBot && chat.Type != ChatPrivate:
		return nil, badRequest("message can't be deleted")
	case !s.now().Before(time.Unix(m.msg.Date, 0).Add(maxDeleteAge)):
		return nil, badRequest("message can't be deleted")
	}
	m.deleted = true
	l := s.logs[chat.ID]
	l.deleted = append(l.deleted, m.msg.MessageID)
	return true, nil
}

func (s *Server) answerCallbackQuery(rq *request) (any, *apiError) {
	p := rq.params
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[p.str("callback_query_id")]
	if q == nil || q.answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf8.RuneCountInString(p.str("text")) > maxCallbackAnswer {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	q.answered = true
	return true, nil
}

func (s *Server) getFile(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.files[rq.params.str("file_id")]
	if f == nil {
		return nil, badRequest("invalid file_id")
	}
	file := f.reported()
	if file.FileSize > maxDownload {
		return nil, badRequest("file is too big")
	}
	return file, nil
}

var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(rq *request) (any, *apiError) {
	p := rq.params
	if !p.has("commands") {
		return nil, badRequest("parameter \"commands\" is required")
	}
	var cmds []BotCommand
	if _, err := p.jsonValue("commands", &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > maxCommands {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(c.Description)); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, aerr := s.commandKeyLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	if len(cmds) == 0 {
		delete(s.commands, key)
	} else {
		s.commands[key] = cmds
	}
	return true, nil
}

func (s *Server) deleteMyCommands(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, aerr := s.commandKeyLocked(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	delete(s.commands, key)
	return true, nil
}

func (s *Server) getMyCommands(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, aerr := s.commandKeyLocked(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	return append([]BotCommand{}, s.commands[key]...), nil
}

var languageCode = regexp.MustCompile(`^[a-z]{2}$`)

// commandKeyLocked reads scope and language_code.
func (s *Server) commandKeyLocked(p params) (commandKey, *apiError) {
	var raw struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	key := commandKey{scope: CommandScope{Type: "default"}, lang: p.str("language_code")}
	if key.lang != "" && !languageCode.MatchString(key.lang) {
		return key, badRequest("invalid language code specified")
	}
	ok, err := p.jsonValue("scope", &raw)
	if err != nil {
		return key, badRequest("can't parse BotCommandScope JSON object")
	}
	if !ok {
		return key, nil
	}
	switch raw.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		key.scope.Type = raw.Type
		return key, nil
	case "chat", "chat_administrators", "chat_member":
	default:
		return key, badRequest("wrong BotCommandScope type specified")
	}
	var ref string
	if err := json.Unmarshal(raw.ChatID, &ref); err != nil {
		ref = string(raw.ChatID) // a number
	}
	chat, aerr := s.chatForBotLocked(params{values: map[string]string{"chat_id": ref}})
	if aerr != nil {
		return key, aerr
	}
	key.scope = CommandScope{Type: raw.Type, ChatID: chat.ID}
	if raw.Type == "chat_member" {
		if s.users[raw.UserID] == nil {
			return key, badRequest("user not found")
		}
		key.scope.UserID = raw.UserID
	}
	return key, nil
}

// setWebhook records the URL; the fake never calls it.
func (s *Server) setWebhook(rq *request) (any, *apiError) {
	p := rq.params
	u := p.str("url")
	if u != "" {
		parsed, err := url.Parse(u)
		if err != nil || parsed.Scheme != "https" || parsed.Host == "" {
			return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
	}
	var allowed []string
	hasAllowed, err := p.jsonValue("allowed_updates", &allowed)
	if err != nil {
		return nil, badRequest("can't parse allowed updates")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = u
	if hasAllowed {
		s.setAllowedLocked(allowed)
	}
	if p.bool("drop_pending_updates") {
		s.updates = nil
	}
	return true, nil
}

func (s *Server) deleteWebhook(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = ""
	if rq.params.bool("drop_pending_updates") {
		s.updates = nil
	}
	return true, nil
}

func (s *Server) getWebhookInfo(*request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WebhookInfo{URL: s.webhook, PendingUpdateCount: len(s.updates), AllowedUpdates: s.allowed}, nil
}

func (s *Server) getChat(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, aerr := s.chatForBotLocked(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	rq.call.ChatID = chat.ID
	return chatFullInfo{Chat: chat, MaxReactionCount: 11}, nil
}

// leaveChat makes the bot leave a group, queuing my_chat_member
// member → left.
func (s *Server) leaveChat(rq *request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, aerr := s.chatForBotLocked(rq.params)
	if aerr != nil {
		return nil, aerr
	}
	rq.call.ChatID = chat.ID
	if chat.Type == ChatPrivate {
		return nil, badRequest("chat member status can't be changed in private chats")
	}
	s.chats[chat.ID].botStatus = StatusLeft
	s.pushLocked(Update{MyChatMember: s.botMemberChangeLocked(chat, s.botSender(), StatusMember, StatusLeft)})
	return true, nil
}

// render reads a text field (text or caption) with parse_mode and
// entities, returning what users see. An empty caption is allowed.
func render(p params, field string, limit int) (string, []MessageEntity, *apiError) {
	raw := p.str(field)
	if !utf8.ValidString(raw) {
		return "", nil, badRequest("strings must be encoded in UTF-8")
	}
	var text string
	var ents []MessageEntity
	entField := "entities"
	if field == "caption" {
		entField = "caption_entities"
	}
	if ok, err := p.jsonValue(entField, &ents); ok {
		// Explicit entities win over parse_mode; they are kept as given.
		if err != nil {
			return "", nil, badRequest("can't parse entities JSON object")
		}
		text = raw
	} else {
		switch strings.ToLower(p.str("parse_mode")) {
		case "":
			text = strings.TrimSpace(raw)
		case "html":
			var err error
			if text, ents, err = ParseHTML(raw); err != nil {
				return "", nil, badRequest("can't parse entities: %s", err)
			}
			if text == "" && field == "text" && strings.TrimSpace(raw) != "" {
				return "", nil, badRequest("text must be non-empty")
			}
		case "markdown", "markdownv2":
			text = strings.TrimSpace(raw) // not parsed by the fake
		default:
			return "", nil, badRequest("unsupported parse_mode")
		}
	}
	if n := utf16Count(text); n > limit {
		if field == "caption" {
			return "", nil, badRequest("message caption is too long")
		}
		return "", nil, badRequest("message is too long")
	}
	if len(ents) == 0 {
		ents = nil
	}
	return text, ents, nil
}

// actionKeys are the inline button fields besides callback_data, url and
// copy_text that give a button something to do.
var actionKeys = []string{"web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
	"switch_inline_query_chosen_chat", "callback_game", "pay"}

// parseMarkup validates reply_markup. It returns the inline keyboard to
// show (nil for none or an empty one); reply keyboards, keyboard removal
// and force_reply are accepted where otherKinds allows and not kept.
func parseMarkup(raw string, otherKinds bool) (*InlineKeyboardMarkup, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	rows, ok := top["inline_keyboard"]
	if !ok {
		_, kb := top["keyboard"]
		_, rm := top["remove_keyboard"]
		_, fr := top["force_reply"]
		if (kb || rm || fr) && otherKinds {
			return nil, nil
		}
		if kb || rm || fr {
			return nil, badRequest("inline keyboard expected")
		}
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	var buttons [][]map[string]json.RawMessage
	if err := json.Unmarshal(rows, &buttons); err != nil {
		return nil, badRequest("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array of Arrays")
	}
	mk := &InlineKeyboardMarkup{}
	n := 0
	for _, row := range buttons {
		var out []InlineKeyboardButton
		for _, b := range row {
			btn, aerr := parseButton(b)
			if aerr != nil {
				return nil, aerr
			}
			out = append(out, btn)
			n++
		}
		if len(out) > 0 {
			mk.InlineKeyboard = append(mk.InlineKeyboard, out)
		}
	}
	if n == 0 {
		return nil, nil
	}
	return mk, nil
}

func parseButton(b map[string]json.RawMessage) (InlineKeyboardButton, *apiError) {
	var btn InlineKeyboardButton
	str := func(k string) (string, bool, *apiError) {
		v, ok := b[k]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false, badRequest("can't parse inline keyboard button: field \"%s\" must be of type String", k)
		}
		return s, true, nil
	}
	text, ok, aerr := str("text")
	if aerr != nil {
		return btn, aerr
	}
	if !ok {
		return btn, badRequest("can't parse inline keyboard button: Can't find field \"text\"")
	}
	if strings.TrimSpace(text) == "" {
		return btn, badRequest("BUTTON_TEXT_INVALID")
	}
	btn.Text = text
	actions := 0
	if data, ok, aerr := str("callback_data"); aerr != nil {
		return btn, aerr
	} else if ok {
		if len(data) < 1 || len(data) > maxCallbackData {
			return btn, badRequest("BUTTON_DATA_INVALID")
		}
		btn.CallbackData = data
		actions++
	}
	if u, ok, aerr := str("url"); aerr != nil {
		return btn, aerr
	} else if ok && u != "" {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https" && parsed.Scheme != "tg") {
			return btn, badRequest("BUTTON_URL_INVALID")
		}
		btn.URL = u
		actions++
	}
	if v, ok := b["copy_text"]; ok {
		var ct struct {
			Text string `json:"text"`
		}
		// go-telegram/bot sends "copy_text":{"text":""} on every button;
		// an empty copy_text is no action.
		if json.Unmarshal(v, &ct) == nil && ct.Text != "" {
			actions++
		}
	}
	for _, k := range actionKeys {
		if v, ok := b[k]; ok && string(v) != "null" && string(v) != "false" {
			actions++
		}
	}
	if actions == 0 {
		return btn, badRequest("text buttons are unallowed in the inline keyboard")
	}
	return btn, nil
}
