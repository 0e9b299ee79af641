package telegramtest

import (
	"errors"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// AddUser registers a user (IsBot false) who has not started the bot: the
// bot cannot message them until they do (SetStarted, or any SendText or
// SendDocument in their private chat). It replaces a user with the same ID
// and panics if u.ID is not positive.
func (s *Server) AddUser(u User) User {
	if u.ID <= 0 {
		panic(fmt.Sprintf("telegramtest: AddUser: user id %d is not positive", u.ID))
	}
	u.IsBot = false
	if u.FirstName == "" {
		u.FirstName = "User" + strconv.FormatInt(u.ID, 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = &userState{user: u}
	return u
}

// AddGroup registers a basic group with the bot as a member. It panics if
// id is not negative.
func (s *Server) AddGroup(id int64, title string) Chat {
	return s.addChat(Chat{ID: id, Type: ChatGroup, Title: title})
}

// AddSupergroup registers a supergroup with the bot as a member. Real
// supergroup IDs look like -100xxxxxxxxxx; any negative ID is accepted. It
// panics if id is not negative.
func (s *Server) AddSupergroup(id int64, title string) Chat {
	return s.addChat(Chat{ID: id, Type: ChatSupergroup, Title: title})
}

// AddChat registers a group, supergroup or channel (with Username, it can be
// addressed as chat_id "@username") with the bot as a member. It panics if
// c.ID is not negative or c.Type is private.
func (s *Server) AddChat(c Chat) Chat {
	return s.addChat(c)
}

func (s *Server) addChat(c Chat) Chat {
	if c.ID >= 0 || c.Type == ChatPrivate || c.Type == "" {
		panic(fmt.Sprintf("telegramtest: AddChat: chat %d of type %q: want a negative ID and a group type", c.ID, c.Type))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = &chatState{chat: c, botStatus: StatusMember}
	return c
}

// SetStarted sets whether the user has started the bot, without an update.
func (s *Server) SetStarted(userID int64, started bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("telegramtest: set started: unknown user %d", userID)
	}
	u.started = started
	return nil
}

// Block marks the user as having blocked the bot: sends to them answer 403
// "Forbidden: bot was blocked by the user". It queues the my_chat_member
// update Telegram sends (member → kicked in the private chat).
func (s *Server) Block(userID int64) error {
	return s.setBlocked(userID, true)
}

// Unblock undoes Block, queuing my_chat_member kicked → member.
func (s *Server) Unblock(userID int64) error {
	return s.setBlocked(userID, false)
}

func (s *Server) setBlocked(userID int64, blocked bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return fmt.Errorf("telegramtest: block: unknown user %d", userID)
	}
	if u.blocked == blocked {
		return nil
	}
	u.blocked = blocked
	if !blocked {
		u.started = true
	}
	oldS, newS := StatusMember, StatusKicked
	if !blocked {
		oldS, newS = newS, oldS
	}
	s.pushLocked(Update{MyChatMember: s.botMemberChangeLocked(privateChat(u.user), u.user, oldS, newS)})
	return nil
}

// AddBot adds the bot to a registered group by a user, queuing the
// my_chat_member update (left or kicked → member).
func (s *Server) AddBot(chatID, byUserID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, from, err := s.groupAndUserLocked(chatID, byUserID)
	if err != nil {
		return fmt.Errorf("telegramtest: add bot: %w", err)
	}
	if c.botStatus == StatusMember {
		return fmt.Errorf("telegramtest: add bot: already a member of chat %d", chatID)
	}
	old := c.botStatus
	c.botStatus = StatusMember
	s.pushLocked(Update{MyChatMember: s.botMemberChangeLocked(c.chat, from, old, StatusMember)})
	return nil
}

// RemoveBot removes the bot from a group by a user: sends answer 403
// "Forbidden: bot was kicked from the group chat" (or supergroup, channel).
// It queues my_chat_member member → left for a basic group, member → kicked
// otherwise, as Telegram reports them.
func (s *Server) RemoveBot(chatID, byUserID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, from, err := s.groupAndUserLocked(chatID, byUserID)
	if err != nil {
		return fmt.Errorf("telegramtest: remove bot: %w", err)
	}
	if c.botStatus != StatusMember {
		return fmt.Errorf("telegramtest: remove bot: not a member of chat %d", chatID)
	}
	c.botStatus = StatusKicked
	reported := StatusKicked
	if c.chat.Type == ChatGroup {
		reported = StatusLeft
	}
	s.pushLocked(Update{MyChatMember: s.botMemberChangeLocked(c.chat, from, StatusMember, reported)})
	return nil
}

// Migrate upgrades a basic group to a new supergroup, as a user's action.
// Afterwards sends to the group answer 400 "Bad Request: group chat was
// upgraded to a supergroup chat" with parameters.migrate_to_chat_id. It
// queues the two service messages Telegram sends: one in the group with
// migrate_to_chat_id, one in the supergroup with migrate_from_chat_id.
func (s *Server) Migrate(groupID, supergroupID, byUserID int64) (Chat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, from, err := s.groupAndUserLocked(groupID, byUserID)
	if err != nil {
		return Chat{}, fmt.Errorf("telegramtest: migrate: %w", err)
	}
	switch {
	case c.chat.Type != ChatGroup:
		return Chat{}, fmt.Errorf("telegramtest: migrate: chat %d is a %s, not a group", groupID, c.chat.Type)
	case c.botStatus != StatusMember:
		return Chat{}, fmt.Errorf("telegramtest: migrate: the bot is not in chat %d", groupID)
	case supergroupID >= 0:
		return Chat{}, fmt.Errorf("telegramtest: migrate: supergroup id %d is not negative", supergroupID)
	case s.chats[supergroupID] != nil:
		return Chat{}, fmt.Errorf("telegramtest: migrate: chat %d exists", supergroupID)
	}
	super := &chatState{chat: Chat{ID: supergroupID, Type: ChatSupergroup, Title: c.chat.Title}, botStatus: StatusMember}
	s.chats[supergroupID] = super
	c.migratedTo = supergroupID

	to := s.newMessageLocked(c.chat, &from, false)
	to.msg.MigrateToChatID = supergroupID
	s.pushLocked(Update{Message: ptr(to.msg)})
	fromMsg := s.newMessageLocked(super.chat, &from, false)
	fromMsg.msg.MigrateFromChatID = groupID
	s.pushLocked(Update{Message: ptr(fromMsg.msg)})
	return super.chat, nil
}

// SendText queues a text message from a user in a chat (the user's ID for
// their private chat, which also marks the bot as started). Bot commands in
// the text (/cmd or /cmd@bot at the start or after white space) get
// bot_command entities with UTF-16 offsets, as Telegram's clients produce.
// The returned message is as the bot will receive it.
func (s *Server) SendText(chatID, userID int64, text string) (Message, error) {
	if text == "" {
		return Message{}, errors.New("telegramtest: send text: empty text")
	}
	if n := utf16Count(text); n > maxTextLen {
		return Message{}, fmt.Errorf("telegramtest: send text: %d UTF-16 units, over %d", n, maxTextLen)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, from, err := s.userSpeaksLocked(chatID, userID)
	if err != nil {
		return Message{}, fmt.Errorf("telegramtest: send text: %w", err)
	}
	m := s.newMessageLocked(chat, &from, false)
	m.msg.Text = text
	m.msg.Entities = commandEntities(text)
	s.pushLocked(Update{Message: ptr(m.msg)})
	return m.msg, nil
}

// SendDocument queues a message from a user with a document and an
// optional caption (with bot_command entities, as for SendText). The file
// gets a file_id the bot can pass to getFile and then download from
// /file/bot<token>/<file_path>; its mime_type follows the file name's
// extension where the fake knows it, else doc.MimeType.
func (s *Server) SendDocument(chatID, userID int64, doc Upload, caption string) (Message, error) {
	if len(doc.Data) == 0 {
		return Message{}, errors.New("telegramtest: send document: empty file")
	}
	if n := utf16Count(caption); n > maxCaptionLen {
		return Message{}, fmt.Errorf("telegramtest: send document: caption of %d UTF-16 units, over %d", n, maxCaptionLen)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, from, err := s.userSpeaksLocked(chatID, userID)
	if err != nil {
		return Message{}, fmt.Errorf("telegramtest: send document: %w", err)
	}
	m := s.newMessageLocked(chat, &from, false)
	m.msg.Document = s.storeFileLocked(doc)
	m.msg.Caption = caption
	m.msg.CaptionEntities = commandEntities(caption)
	s.pushLocked(Update{Message: ptr(m.msg)})
	return m.msg, nil
}

// FileFault changes how the server reports and serves one stored file, to
// test a client's size limits.
type FileFault struct {
	// Size, when not 0, is the file_size getFile reports instead of the
	// file's true size; it also decides getFile's 20 MB limit ("Bad
	// Request: file is too big"). A test can so model a file too large to
	// download without allocating it, or a server whose size is wrong.
	Size int64
	// Chunked serves the download without a Content-Length header, in
	// flushed pieces, so that a client learns the size only by reading.
	Chunked bool
	// Status, when not 0, is the HTTP status the download answers with a
	// Bot API error body instead of the bytes: 404 "Not Found" as for a
	// link that expired (Telegram keeps one at least an hour), 500, …
	Status int
	// Hangup closes the download's connection without an answer, as a
	// network failure would.
	Hangup bool
}

// SetFileFault applies f to the stored file with fileID (from SendDocument
// or the bot's sendDocument), replacing an earlier fault; the zero
// FileFault removes it. Messages already sent keep the file_size they
// carried.
func (s *Server) SetFileFault(fileID string, f FileFault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sf := s.files[fileID]
	if sf == nil {
		return fmt.Errorf("telegramtest: set file fault: unknown file %q", fileID)
	}
	sf.fault = f
	return nil
}

// Tap queues the callback_query of a user tapping the inline button with
// callback data data under the bot's message messageID in chatID. The
// button must be on the message now. The query's message is the message as
// it is now, with its original non-zero date.
func (s *Server) Tap(chatID int64, messageID int, userID int64, data string) (CallbackQuery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, from, err := s.userSpeaksLocked(chatID, userID)
	if err != nil {
		return CallbackQuery{}, fmt.Errorf("telegramtest: tap: %w", err)
	}
	m := s.messageLocked(chatID, messageID)
	switch {
	case m == nil:
		return CallbackQuery{}, fmt.Errorf("telegramtest: tap: no message %d in chat %d", messageID, chatID)
	case !m.fromBot:
		return CallbackQuery{}, fmt.Errorf("telegramtest: tap: message %d in chat %d is not the bot's", messageID, chatID)
	case !hasButton(m.msg.ReplyMarkup, data):
		return CallbackQuery{}, fmt.Errorf("telegramtest: tap: message %d in chat %d has no button with data %q", messageID, chatID, data)
	}
	id := strconv.FormatInt(4_000_000_000_000_000_000+s.nextSeqLocked(), 10)
	s.queries[id] = &queryState{}
	q := CallbackQuery{
		ID:           id,
		From:         from,
		Message:      ptr(m.msg),
		ChatInstance: strconv.FormatInt(chatID*-7919+1, 10),
		Data:         data,
	}
	s.pushLocked(Update{CallbackQuery: &q})
	return q, nil
}

// Push queues an arbitrary update, assigning its update_id, and returns
// it. Like every injected update, it is dropped (UpdateID 0) if its type
// is not in the bot's allowed_updates.
func (s *Server) Push(u Update) Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushLocked(u)
}

func hasButton(mk *InlineKeyboardMarkup, data string) bool {
	if mk == nil {
		return false
	}
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

// groupAndUserLocked looks up a registered group and user for test-side
// actions.
func (s *Server) groupAndUserLocked(chatID, userID int64) (*chatState, User, error) {
	c := s.chats[chatID]
	if c == nil {
		return nil, User{}, fmt.Errorf("unknown chat %d", chatID)
	}
	u := s.users[userID]
	if u == nil {
		return nil, User{}, fmt.Errorf("unknown user %d", userID)
	}
	return c, u.user, nil
}

// userSpeaksLocked checks that a user can post in a chat the bot reads.
func (s *Server) userSpeaksLocked(chatID, userID int64) (Chat, User, error) {
	u := s.users[userID]
	if u == nil {
		return Chat{}, User{}, fmt.Errorf("unknown user %d", userID)
	}
	if chatID == userID {
		if u.blocked {
			return Chat{}, User{}, fmt.Errorf("user %d has blocked the bot (Unblock first)", userID)
		}
		u.started = true
		return privateChat(u.user), u.user, nil
	}
	c := s.chats[chatID]
	switch {
	case c == nil:
		return Chat{}, User{}, fmt.Errorf("unknown chat %d", chatID)
	case c.migratedTo != 0:
		return Chat{}, User{}, fmt.Errorf("chat %d was migrated to %d", chatID, c.migratedTo)
	case c.botStatus != StatusMember:
		return Chat{}, User{}, fmt.Errorf("the bot is not in chat %d", chatID)
	}
	return c.chat, u.user, nil
}

// chatForBotLocked resolves a chat_id parameter for a bot's request and
// checks the bot may act there, with Telegram's errors.
func (s *Server) chatForBotLocked(p params) (Chat, *apiError) {
	raw := strings.TrimSpace(p.str("chat_id"))
	if raw == "" {
		return Chat{}, badRequest("chat_id is empty")
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, c := range s.chats {
			if c.chat.Username != "" && strings.EqualFold(c.chat.Username, name) {
				return s.botAccessLocked(c.chat.ID)
			}
		}
		return Chat{}, badRequest("chat not found")
	}
	id, err := strconv.ParseInt(strings.Trim(raw, `"`), 10, 64)
	if err != nil {
		return Chat{}, badRequest("chat not found")
	}
	return s.botAccessLocked(id)
}

func (s *Server) botAccessLocked(id int64) (Chat, *apiError) {
	if u := s.users[id]; u != nil {
		switch {
		case u.blocked:
			return Chat{}, &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was blocked by the user"}
		case !u.started:
			return Chat{}, &apiError{code: http.StatusForbidden, desc: "Forbidden: bot can't initiate conversation with a user"}
		}
		return privateChat(u.user), nil
	}
	c := s.chats[id]
	switch {
	case c == nil:
		return Chat{}, badRequest("chat not found")
	case c.migratedTo != 0:
		e := badRequest("group chat was upgraded to a supergroup chat")
		e.migrateTo = c.migratedTo
		return Chat{}, e
	case c.botStatus == StatusKicked:
		return Chat{}, &apiError{code: http.StatusForbidden, desc: "Forbidden: bot was kicked from the " + c.chat.Type + " chat"}
	case c.botStatus == StatusLeft:
		return Chat{}, &apiError{code: http.StatusForbidden, desc: "Forbidden: bot is not a member of the " + c.chat.Type + " chat"}
	}
	return c.chat, nil
}

func privateChat(u User) Chat {
	return Chat{ID: u.ID, Type: ChatPrivate, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// botMemberChangeLocked builds a my_chat_member update's payload.
func (s *Server) botMemberChangeLocked(chat Chat, from User, oldStatus, newStatus string) *ChatMemberUpdated {
	member := func(status string) ChatMember {
		m := ChatMember{Status: status, User: s.botSender()}
		if status == StatusKicked {
			m.UntilDate = new(int64)
		}
		return m
	}
	return &ChatMemberUpdated{
		Chat:          chat,
		From:          from,
		Date:          s.now().Unix(),
		OldChatMember: member(oldStatus),
		NewChatMember: member(newStatus),
	}
}

// botSender is the bot as it appears in messages' from field.
func (s *Server) botSender() User {
	return User{ID: s.bot.ID, IsBot: true, FirstName: s.bot.FirstName, LastName: s.bot.LastName, Username: s.bot.Username}
}

// newMessageLocked stores a new message in chat with the chat's next ID.
func (s *Server) newMessageLocked(chat Chat, from *User, fromBot bool) *storedMessage {
	l := s.logs[chat.ID]
	if l == nil {
		l = &chatLog{byID: map[int]*storedMessage{}}
		s.logs[chat.ID] = l
	}
	l.lastID++
	m := &storedMessage{msg: Message{MessageID: l.lastID, From: from, Chat: chat, Date: s.now().Unix()}, fromBot: fromBot}
	l.byID[l.lastID] = m
	l.order = append(l.order, l.lastID)
	return m
}

func (s *Server) messageLocked(chatID int64, id int) *storedMessage {
	l := s.logs[chatID]
	if l == nil {
		return nil
	}
	m := l.byID[id]
	if m == nil || m.deleted {
		return nil
	}
	return m
}

// storeFileLocked keeps an uploaded file and returns its Document.
func (s *Server) storeFileLocked(u Upload) *Document {
	n := s.nextSeqLocked()
	if u.FileName == "" {
		u.FileName = "file"
	}
	u.MimeType = mimeType(u.FileName, u.MimeType)
	f := &storedFile{
		file: File{
			FileID:       fmt.Sprintf("BQACAgUAAxkBAAI%08d", n),
			FileUniqueID: fmt.Sprintf("AgAD%08d", n),
			FileSize:     int64(len(u.Data)),
			FilePath:     fmt.Sprintf("documents/file_%d%s", n, strings.ToLower(path.Ext(u.FileName))),
		},
		upload: u,
	}
	s.files[f.file.FileID] = f
	s.filesByPath[f.file.FilePath] = f
	return &Document{FileID: f.file.FileID, FileUniqueID: f.file.FileUniqueID, FileName: u.FileName, MimeType: u.MimeType, FileSize: f.file.FileSize}
}

// mimeTypes is a fixed table, so answers do not depend on the host's MIME
// database.
var mimeTypes = map[string]string{
	".csv": "text/csv", ".txt": "text/plain", ".json": "application/json", ".pdf": "application/pdf",
	".zip": "application/zip", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xls":  "application/vnd.ms-excel",
}

func mimeType(name, declared string) string {
	if t, ok := mimeTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	if declared != "" {
		return declared
	}
	return "application/octet-stream"
}

// pushLocked queues an update unless allowed_updates filters it out.
func (s *Server) pushLocked(u Update) Update {
	if !s.allowsLocked(u.Type()) {
		u.UpdateID = 0
		return u
	}
	s.lastUpdate++
	u.UpdateID = s.lastUpdate
	s.updates = append(s.updates, u)
	close(s.notify)
	s.notify = make(chan struct{})
	return u
}

// allowsLocked applies allowed_updates; Telegram's default is every type
// except chat_member, message_reaction and message_reaction_count.
func (s *Server) allowsLocked(typ string) bool {
	if typ == "" {
		return false
	}
	if s.allowed == nil {
		return typ != "chat_member" && typ != "message_reaction" && typ != "message_reaction_count"
	}
	for _, a := range s.allowed {
		if a == typ {
			return true
		}
	}
	return false
}

// commandEntities finds bot commands: "/" at the start or after white
// space, 1–64 of [A-Za-z0-9_], optionally "@" and a 3–32 character
// username, ended by the end of text or a character that is not a letter,
// digit, "_", "/", "<" or ">".
func commandEntities(text string) []MessageEntity {
	var ents []MessageEntity
	for i := 0; i < len(text); i++ {
		if text[i] != '/' || (i > 0 && !isHTMLSpace(text[i-1])) {
			continue
		}
		j := i + 1
		for j < len(text) && j-i-1 < 64 && isWordChar(text[j]) {
			j++
		}
		if j == i+1 {
			continue
		}
		if j < len(text) && text[j] == '@' {
			k := j + 1
			for k < len(text) && k-j-1 < 32 && isWordChar(text[k]) {
				k++
			}
			if k-j-1 >= 3 {
				j = k
			}
		}
		if j < len(text) && (isWordChar(text[j]) || strings.IndexByte("/<>@", text[j]) >= 0) {
			continue
		}
		ents = append(ents, MessageEntity{Type: "bot_command", Offset: utf16Count(text[:i]), Length: utf16Count(text[i:j])})
		i = j - 1
	}
	return ents
}

func isWordChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func ptr[T any](v T) *T { return &v }
