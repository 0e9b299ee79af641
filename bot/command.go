package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/moimbot/moimbot/ledger"
)

// CommandName is a command's Latin name: the Telegram command and what a
// router switches on. Each command also has a Korean form (/현황 for
// /status), accepted wherever the Latin one is.
type CommandName string

// The commands.
const (
	CmdHelp      CommandName = "help"      // /help, /start, /도움말
	CmdSetup     CommandName = "setup"     // /개설
	CmdLink      CommandName = "link"      // /연결
	CmdDues      CommandName = "dues"      // /회비
	CmdMember    CommandName = "member"    // /멤버
	CmdMembers   CommandName = "members"   // /멤버목록, /명단, /member list
	CmdStatus    CommandName = "status"    // /현황
	CmdUnpaid    CommandName = "unpaid"    // /미납
	CmdPaid      CommandName = "paid"      // /납부
	CmdReview    CommandName = "review"    // /확인
	CmdRemind    CommandName = "remind"    // /알림
	CmdHistory   CommandName = "history"   // /내역
	CmdIAm       CommandName = "iam"       // /나
	CmdTreasurer CommandName = "treasurer" // /총무
	CmdSettings  CommandName = "settings"  // /설정
	CmdSync      CommandName = "sync"      // /동기화
	CmdExport    CommandName = "export"    // /내보내기
)

// Subcommands of /member and /treasurer, in Command.Sub.
const (
	SubAdd    = "add"    // 추가
	SubRemove = "remove" // 삭제, 제거
	SubAlias  = "alias"  // 별칭 (member only)
	SubExempt = "exempt" // 면제 (member only)
)

// SettingKey names a setting of /settings.
type SettingKey string

// The settings. Each also has a Korean name, in parentheses.
const (
	SettingLanguage   SettingKey = "language"    // (언어) Command.Lang
	SettingDueDay     SettingKey = "dueday"      // (마감일) Command.DueDay
	SettingReminders  SettingKey = "reminders"   // (알림) Command.On
	SettingRemindDays SettingKey = "remind_days" // (알림일) Command.Days
	SettingRemindTime SettingKey = "remind_time" // (알림시각) Command.Hour, Command.Minute
)

// Limits of command arguments.
const (
	// MaxNameRunes bounds a member's name and each alias, in runes.
	MaxNameRunes = 40
	// MaxGroupNameRunes bounds a group's name, in runes.
	MaxGroupNameRunes = 50
	// MaxAliases bounds the aliases of one /member command.
	MaxAliases = 10
	// LastDay is the due day "말일" and "last" stand for: ledger.DuesRule
	// reads a day past the month's end as the month's last day.
	LastDay = 31
	// MaxPayloadLen bounds a /start deep-link payload, Telegram's limit.
	MaxPayloadLen = 64
)

// Months a command may name: a year outside these is a typo.
const (
	minCommandYear = 2000
	maxCommandYear = 2099
)

// Command is a parsed chat command. Name says which; the other fields hold
// its arguments, typed and checked, and are zero when the command does not
// take them or they were left out:
//
//	help      Topic (/help dues); Payload (/start <payload>)
//	setup     Group ("" when not given)
//	dues      Amount, DueDay (0 when not given)
//	member    Sub and Member; Amount (0: the group's dues) and Aliases for
//	          add; Aliases (at least one) for alias; On for exempt
//	status    Month or MonthOfYear, or neither for the current month
//	paid      Member, Amount, and Month or MonthOfYear (or neither)
//	history   Member ("" for the asker's own)
//	iam       Member
//	treasurer Sub (add or remove) and User
//	settings  Setting ("" to show the settings) and its value: Lang,
//	          DueDay, On, Days, or Hour and Minute
//
// link, members, unpaid, review, remind, sync and export take no
// arguments.
//
// Command is one struct rather than a type per command: a router switches
// on Name anyway, each field means the same thing wherever it is set, and a
// plain value is easy to compare, render (String) and test. Which fields a
// command sets is listed above and checked by the tests.
type Command struct {
	Name CommandName
	// Sub is the subcommand of member (SubAdd, SubRemove, SubAlias,
	// SubExempt) and treasurer (SubAdd, SubRemove).
	Sub string
	// Topic is the command /help asks about.
	Topic CommandName
	// Payload is the deep-link parameter of Telegram's /start:
	// [A-Za-z0-9_-], 1..MaxPayloadLen bytes.
	Payload string
	// Group is the name of the group to set up: NFC, runs of spaces made
	// one, 1..MaxGroupNameRunes runes, no control characters or quotes.
	Group string
	// Member is a member's name as typed (the router looks it up in the
	// roster): NFC, runs of spaces made one, 1..MaxNameRunes runes, no
	// control characters or quotes.
	Member string
	// Aliases are further names a member pays under, each like Member;
	// at most MaxAliases.
	Aliases []string
	// Amount is in won, 1..MaxAmount (see ParseWon).
	Amount int64
	// DueDay is a due day, 1..31; LastDay (31) for "말일".
	DueDay int
	// Month is a month with its year, in 2000..2099. MonthOfYear is a
	// month typed without a year ("11월", "Nov"); Month is zero then, and
	// MonthAt resolves it. At most one of them is set.
	Month       ledger.Period
	MonthOfYear time.Month
	// On is member exempt's switch (true unless "off") and the reminders
	// setting.
	On bool
	// User is the chat user /treasurer names.
	User Mention
	// Setting is the setting /settings changes; "" shows the settings.
	Setting SettingKey
	// Lang is the language setting.
	Lang Lang
	// Days are the reminder days setting: offsets from the due date in
	// −MaxReminderOffset..MaxReminderOffset, each once, as typed.
	Days []int
	// Hour (0–23) and Minute (0–59) are the reminder time setting, KST.
	Hour, Minute int
}

// Mention is a chat user named in a command: a Telegram @username, or a
// user id (a Telegram user's number, which an adapter substitutes for a
// mention of a user without a username; a Slack user from "<@U123ABC>").
// Exactly one field is set.
type Mention struct {
	// Username is a Telegram username without the @, lower-cased (Telegram
	// usernames compare case-insensitively).
	Username string
	// ID is a Telegram user id ("123456789") or a Slack user id
	// ("U0123ABC").
	ID string
}

// String renders m as it is typed: "@username", "123456789" or "<@U0123ABC>".
func (m Mention) String() string {
	switch {
	case m.Username != "":
		return "@" + m.Username
	case m.ID != "" && m.ID[0] >= '0' && m.ID[0] <= '9':
		return m.ID
	case m.ID != "":
		return "<@" + m.ID + ">"
	}
	return ""
}

// MonthAt returns the month c names, relative to ref (the current dues
// month): Month when set; for a MonthOfYear, the month of that name
// nearest to ref, from 6 months before it to 5 after (in November 2026,
// "5월" is May 2026 and "4월" April 2027); and ref when c names no month.
func (c Command) MonthAt(ref ledger.Period) ledger.Period {
	switch {
	case !c.Month.IsZero():
		return c.Month
	case c.MonthOfYear < time.January || c.MonthOfYear > time.December:
		return ref
	}
	p := ledger.NewPeriod(ref.Year(), c.MonthOfYear)
	switch {
	case p < ref-6:
		p += 12
	case p > ref+5:
		p -= 12
	}
	return p
}

// Errors of ParseCommand and ParseArgs besides a *UsageError.
var (
	// ErrNotCommand is returned for text that is not a command; the
	// router ignores it.
	ErrNotCommand = errors.New("bot: not a command")
	// ErrOtherBot is returned for /cmd@otherbot: a command for another
	// bot in the chat, to ignore silently.
	ErrOtherBot = errors.New("bot: command for another bot")
	// ErrUnknownCommand is returned, wrapped with the word, for "/" alone
	// or a command moimbot does not know: the router decides whether to
	// answer (with help in a direct message, say, but not in a busy group).
	ErrUnknownCommand = errors.New("bot: unknown command")
)

// UsageError is returned for a known command with a wrong or missing
// argument. The chat answers with the usage: e.Usage(lang).
type UsageError struct {
	Command CommandName
	// Sub is the subcommand or settings key the error is about, in its
	// Latin form, or "" when the error is about the whole command.
	Sub string
	// Err says what is wrong, for logs.
	Err error
}

// Error returns "bot: /dues: …" naming the command and what is wrong.
func (e *UsageError) Error() string {
	s := "bot: /" + string(e.Command)
	if e.Sub != "" {
		s += " " + e.Sub
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns what is wrong.
func (e *UsageError) Unwrap() error { return e.Err }

// Usage returns the usage of the error's subcommand or settings key, or of
// its whole command, in lang, with Telegram's slash (see UsageWith).
func (e *UsageError) Usage(lang Lang) string {
	return UsageWith("/", e.Command, e.Sub, lang)
}

// ParseCommand parses a whole chat message as a command: "/status",
// "/status@moim_test_bot 2026-11", "/현황 11월", "  /Status\n2026-11".
// botUsername is this bot's username (with or without the @): a command
// addressed to another bot ("/status@otherbot"), or to any bot when
// botUsername is "", gives ErrOtherBot. Usernames and Latin command names
// compare case-insensitively.
//
// Text not starting with "/" (after spaces) gives ErrNotCommand; "/" alone
// and unknown commands an error wrapping ErrUnknownCommand; a known command
// with a wrong or missing argument a *UsageError.
//
// The arguments are separated by spaces of any kind (newlines, the
// ideographic space, the no-break space). A name with spaces is quoted with
// "…", “…” or 「…」; a quote must be closed and followed by a space or the
// end, and backslashes are not special.
func ParseCommand(text, botUsername string) (Command, error) {
	text = strings.TrimLeftFunc(text, isSeparator)
	r, size := utf8.DecodeRuneInString(text)
	if r != '/' && r != '／' {
		return Command{}, ErrNotCommand
	}
	word, rest := cutWord(text[size:])
	if w, at, ok := strings.Cut(word, "@"); ok {
		bot := strings.TrimPrefix(botUsername, "@")
		if bot == "" || !strings.EqualFold(at, bot) {
			return Command{}, ErrOtherBot
		}
		word = w
	}
	return parseCommand(word, rest)
}

// ParseArgs parses the text of a command without its slash, as Slack's
// "/moim status 2026-11" hands it over ("status 2026-11"): the command's
// name, Latin or Korean, then its arguments, read as ParseCommand reads
// them. Empty text is /help; a leading slash is allowed. The Slack adapter
// passes the text with Slack's escaping undone (&lt; &gt; &amp;), keeping
// user mentions as "<@U123ABC>".
func ParseArgs(text string) (Command, error) {
	text = strings.TrimFunc(text, isSeparator)
	if text == "" {
		return Command{Name: CmdHelp}, nil
	}
	if r, size := utf8.DecodeRuneInString(text); r == '/' || r == '／' {
		text = text[size:]
	}
	word, rest := cutWord(text)
	return parseCommand(word, rest)
}

// cutWord splits s at its first separator.
func cutWord(s string) (word, rest string) {
	if i := strings.IndexFunc(s, isSeparator); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// parseCommand parses command word's arguments rest.
func parseCommand(word, rest string) (Command, error) {
	spec, ok := lookupCommand(word)
	if !ok {
		return Command{}, fmt.Errorf("%w %q", ErrUnknownCommand, word)
	}
	toks, err := tokenize(rest)
	if err != nil {
		return Command{}, &UsageError{Command: spec.name, Err: err}
	}
	p := argParser{cmd: Command{Name: spec.name}, args: toks}
	if err := p.parse(normWord(word) == "start"); err != nil {
		return Command{}, err
	}
	return p.cmd, nil
}

// isSeparator reports whether r separates arguments: any Unicode space,
// and the zero-width space, word joiner and byte order mark that copying
// text between apps leaves behind.
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff'
}

// quoteClosers maps each opening quote to the quotes that close it. Phones
// turn " into “…”, sometimes into “…“ or ”…”; Korean and Japanese
// keyboards offer 「…」 and 『…』.
var quoteClosers = map[rune]string{
	'"': `"`,
	'“': `”“"`,
	'”': `”`,
	'「': `」`,
	'『': `』`,
}

// isQuote reports whether r is a quote the tokenizer knows; names may not
// hold one, so that any name can be quoted.
func isQuote(r rune) bool {
	return strings.ContainsRune(`"“”„「」『』`, r)
}

// token is one argument: its text, and whether it was quoted (a quoted
// argument is never read as an amount).
type token struct {
	text   string
	quoted bool
}

// Errors of tokenize.
var (
	errUnterminatedQuote = errors.New("quote not closed")
	errAfterQuote        = errors.New("text right after a closing quote")
)

// tokenize splits s into arguments at separators, keeping quoted text in
// one argument.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isSeparator(r) {
			i += size
			continue
		}
		closers, quoted := quoteClosers[r]
		if !quoted {
			j := i + strings.IndexFunc(s[i:], isSeparator)
			if j < i {
				j = len(s)
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
			continue
		}
		start := i + size
		end := strings.IndexAny(s[start:], closers)
		if end < 0 {
			return nil, errUnterminatedQuote
		}
		end += start
		toks = append(toks, token{text: s[start:end], quoted: true})
		_, csize := utf8.DecodeRuneInString(s[end:])
		i = end + csize
		if next, _ := utf8.DecodeRuneInString(s[i:]); i < len(s) && !isSeparator(next) {
			return nil, errAfterQuote
		}
	}
	return toks, nil
}

// Name checking errors.
var (
	errEmptyName   = errors.New("empty name")
	errNameControl = errors.New("name holds a control character")
	errNameQuote   = errors.New("name holds a quote")
	errNameUTF8    = errors.New("name is not valid UTF-8")
)

// cleanName normalises a name (NFC, separators made single spaces,
// trimmed) and checks it: not empty, at most maxRunes runes, no control or
// invisible format characters (the zero-width joiners of emoji and some
// scripts excepted), no quotes.
func cleanName(s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", errNameUTF8
	}
	s = strings.Join(strings.FieldsFunc(norm.NFC.String(s), isSeparator), " ")
	if s == "" {
		return "", errEmptyName
	}
	n := 0
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "", errNameUTF8
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d':
			return "", errNameControl
		case isQuote(r):
			return "", errNameQuote
		}
		n++
	}
	if n > maxRunes {
		return "", fmt.Errorf("name is longer than %d characters", maxRunes)
	}
	return s, nil
}

// normWord folds a command word, subcommand or keyword for lookup: NFKC
// (full-width Latin to ASCII), lower case.
func normWord(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

// argParser parses one command's arguments into cmd.
type argParser struct {
	cmd  Command
	sub  string // the subcommand or settings key, for errors
	args []token
}

// fail returns a *UsageError for the command being parsed.
func (p *argParser) fail(err error) error {
	return &UsageError{Command: p.cmd.Name, Sub: p.sub, Err: err}
}

func (p *argParser) failf(format string, a ...any) error {
	return p.fail(fmt.Errorf(format, a...))
}

// Argument count errors.
var (
	errTooMany = errors.New("too many arguments")
	errMissing = errors.New("missing argument")
)

// count checks that between lo and hi arguments remain.
func (p *argParser) count(lo, hi int) error {
	switch {
	case len(p.args) < lo:
		return p.fail(errMissing)
	case len(p.args) > hi:
		return p.fail(errTooMany)
	}
	return nil
}

// next takes the next argument.
func (p *argParser) next() token {
	t := p.args[0]
	p.args = p.args[1:]
	return t
}

func (p *argParser) name(what string) (string, error) {
	s, err := cleanName(p.next().text, MaxNameRunes)
	if err != nil {
		return "", p.failf("%s: %w", what, err)
	}
	return s, nil
}

func (p *argParser) amount() (int64, error) {
	t := p.next()
	if t.quoted {
		return 0, p.failf("amount %q is quoted", t.text)
	}
	n, err := parseWon(t.text)
	if err != nil {
		return 0, p.failf("amount %q: %w", t.text, err)
	}
	return n, nil
}

func (p *argParser) dueDay() (int, error) {
	t := p.next()
	d, ok := parseDueDay(t.text)
	if !ok {
		return 0, p.failf("due day %q is not 1..31", t.text)
	}
	return d, nil
}

// month reads the rest of the arguments as a month: one word, or two
// ("2026년 11월", "2026. 11.").
func (p *argParser) month() error {
	s := ""
	switch first := p.args[0].text; {
	case len(p.args) == 1:
		s = first
	case len(p.args) == 2 && (strings.HasSuffix(first, "년") || strings.HasSuffix(first, ".")):
		s = first + p.args[1].text
	default:
		return p.fail(errTooMany)
	}
	per, moy, ok := parseMonth(s)
	if !ok {
		return p.failf("month %q is not YYYY-MM", strings.TrimSpace(p.args[0].text+" "+p.args[len(p.args)-1].text))
	}
	p.cmd.Month, p.cmd.MonthOfYear = per, moy
	p.args = nil
	return nil
}

// parse parses the arguments of p.cmd.Name; start is set for /start.
func (p *argParser) parse(start bool) error {
	c := &p.cmd
	switch c.Name {
	case CmdHelp:
		if err := p.count(0, 1); err != nil || len(p.args) == 0 {
			return err
		}
		t := p.next()
		if start {
			if !validPayload(t.text) {
				return p.failf("start payload %q", t.text)
			}
			c.Payload = t.text
			return nil
		}
		word := strings.TrimPrefix(strings.TrimPrefix(t.text, "/"), "／")
		spec, ok := lookupCommand(word)
		if !ok {
			return p.failf("no command %q", t.text)
		}
		c.Topic = spec.name
		return nil

	case CmdSetup:
		if len(p.args) == 0 {
			return nil
		}
		// The group name is the only argument: its words need no quotes.
		words := make([]string, len(p.args))
		for i, t := range p.args {
			words[i] = t.text
		}
		g, err := cleanName(strings.Join(words, " "), MaxGroupNameRunes)
		if err != nil {
			return p.failf("group name: %w", err)
		}
		c.Group = g
		return nil

	case CmdDues:
		if err := p.count(1, 2); err != nil {
			return err
		}
		var err error
		if c.Amount, err = p.amount(); err != nil {
			return err
		}
		if len(p.args) > 0 {
			c.DueDay, err = p.dueDay()
		}
		return err

	case CmdMember:
		return p.member()

	case CmdStatus:
		if len(p.args) == 0 {
			return nil
		}
		return p.month()

	case CmdPaid:
		if err := p.count(2, 4); err != nil {
			return err
		}
		var err error
		if c.Member, err = p.name("name"); err != nil {
			return err
		}
		if c.Amount, err = p.amount(); err != nil {
			return err
		}
		if len(p.args) > 0 {
			return p.month()
		}
		return nil

	case CmdHistory:
		if err := p.count(0, 1); err != nil || len(p.args) == 0 {
			return err
		}
		var err error
		c.Member, err = p.name("name")
		return err

	case CmdIAm:
		if err := p.count(1, 1); err != nil {
			return err
		}
		var err error
		c.Member, err = p.name("name")
		return err

	case CmdTreasurer:
		if err := p.subcommand(SubAdd, SubRemove); err != nil {
			return err
		}
		// No user: the command answers a message of the person meant
		// (bot.Update.ReplyTo), which the router checks.
		if err := p.count(0, 1); err != nil {
			return err
		}
		if len(p.args) == 0 {
			return nil
		}
		t := p.next()
		m, ok := parseMention(t.text)
		if !ok {
			return p.failf("user %q is not @username", t.text)
		}
		c.User = m
		return nil

	case CmdSettings:
		return p.settings()
	}
	// link, members, unpaid, review, remind, sync, export.
	return p.count(0, 0)
}

// subcommand reads the subcommand, one of subs.
func (p *argParser) subcommand(subs ...string) error {
	if len(p.args) == 0 {
		return p.fail(errors.New("missing subcommand"))
	}
	t := p.next()
	sub := subWords[normWord(t.text)]
	for _, s := range subs {
		if sub == s {
			p.cmd.Sub, p.sub = s, s
			return nil
		}
	}
	return p.failf("no subcommand %q", t.text)
}

// member parses /member's subcommands; "list" makes the command /members.
func (p *argParser) member() error {
	c := &p.cmd
	if err := p.subcommand(SubAdd, SubRemove, SubAlias, SubExempt, subList); err != nil {
		return err
	}
	var err error
	switch c.Sub {
	case subList:
		*c, p.sub = Command{Name: CmdMembers}, ""
		return p.count(0, 0)
	case SubAdd:
		if err := p.count(1, 2+MaxAliases); err != nil {
			return err
		}
		if c.Member, err = p.name("name"); err != nil {
			return err
		}
		if len(p.args) > 0 && !p.args[0].quoted && amountLike(p.args[0].text) {
			if c.Amount, err = p.amount(); err != nil {
				return err
			}
		}
		return p.aliases(0)
	case SubRemove:
		if err := p.count(1, 1); err != nil {
			return err
		}
		c.Member, err = p.name("name")
		return err
	case SubAlias:
		if err := p.count(2, 1+MaxAliases); err != nil {
			return err
		}
		if c.Member, err = p.name("name"); err != nil {
			return err
		}
		return p.aliases(1)
	default: // SubExempt
		if err := p.count(1, 2); err != nil {
			return err
		}
		if c.Member, err = p.name("name"); err != nil {
			return err
		}
		c.On = true
		if len(p.args) > 0 {
			t := p.next()
			on, ok := parseSwitch(t.text)
			if !ok {
				return p.failf("%q is not on or off", t.text)
			}
			c.On = on
		}
		return nil
	}
}

// aliases reads the remaining arguments as aliases, at least lo.
func (p *argParser) aliases(lo int) error {
	if err := p.count(lo, MaxAliases); err != nil {
		return err
	}
	for len(p.args) > 0 {
		a, err := p.name("alias")
		if err != nil {
			return err
		}
		p.cmd.Aliases = append(p.cmd.Aliases, a)
	}
	return nil
}

// amountLike reports whether s is to be read as an amount, not a name:
// it is one ("만원" too), or it starts the way one does, with a digit, a
// won sign or a sign. An alias like that is quoted.
func amountLike(s string) bool {
	r, _ := utf8.DecodeRuneInString(norm.NFKC.String(s))
	if r >= '0' && r <= '9' || strings.ContainsRune(`₩\-−+.`, r) {
		return true
	}
	_, err := parseWon(s)
	return err == nil
}

// settings parses /settings [key value…].
func (p *argParser) settings() error {
	c := &p.cmd
	if len(p.args) == 0 {
		return nil
	}
	t := p.next()
	key, ok := settingWords[strings.NewReplacer("_", "", "-", "").Replace(normWord(t.text))]
	if !ok {
		return p.failf("no setting %q", t.text)
	}
	c.Setting, p.sub = key, string(key)
	if len(p.args) == 0 {
		return p.fail(errMissing)
	}
	words := make([]string, len(p.args))
	for i, t := range p.args {
		words[i] = t.text
	}
	p.args = nil
	value := strings.Join(words, " ")
	switch key {
	case SettingLanguage:
		if len(words) != 1 {
			return p.fail(errTooMany)
		}
		l, ok := langWords[normWord(value)]
		if !ok {
			return p.failf("language %q is not ko or en", value)
		}
		c.Lang = l
	case SettingDueDay:
		d, ok := parseDueDay(value)
		if !ok || len(words) != 1 {
			return p.failf("due day %q is not 1..31", value)
		}
		c.DueDay = d
	case SettingReminders:
		on, ok := parseSwitch(value)
		if !ok || len(words) != 1 {
			return p.failf("%q is not on or off", value)
		}
		c.On = on
	case SettingRemindDays:
		days, err := parseDays(value)
		if err != nil {
			return p.fail(err)
		}
		c.Days = days
	case SettingRemindTime:
		h, m, ok := parseClock(strings.Join(words, ""))
		if !ok {
			return p.failf("time %q is not hh:mm", value)
		}
		c.Hour, c.Minute = h, m
	}
	return nil
}

// subList is /member's "list" subcommand, which parses as /members.
const subList = "list"

// subWords maps subcommand words to subcommands.
var subWords = map[string]string{
	"add": SubAdd, "추가": SubAdd,
	"remove": SubRemove, "delete": SubRemove, "삭제": SubRemove, "제거": SubRemove,
	"alias": SubAlias, "별칭": SubAlias,
	"exempt": SubExempt, "면제": SubExempt,
	"list": subList, "목록": subList,
}

// settingWords maps setting names, lower-cased without _ and -, to keys.
var settingWords = map[string]SettingKey{
	"language": SettingLanguage, "lang": SettingLanguage, "언어": SettingLanguage,
	"dueday": SettingDueDay, "마감일": SettingDueDay,
	"reminders": SettingReminders, "reminder": SettingReminders, "알림": SettingReminders,
	"reminddays": SettingRemindDays, "알림일": SettingRemindDays,
	"remindtime": SettingRemindTime, "알림시각": SettingRemindTime, "알림시간": SettingRemindTime,
}

// langWords maps language words to languages.
var langWords = map[string]Lang{
	"ko": Korean, "kr": Korean, "korean": Korean, "한국어": Korean, "한글": Korean,
	"en": English, "english": English, "영어": English,
}

// switchWords maps on and off words to their value.
var switchWords = map[string]bool{
	"on": true, "yes": true, "true": true, "켜기": true, "켬": true, "켜": true, "예": true, "네": true,
	"off": false, "no": false, "false": false, "끄기": false, "끔": false, "꺼": false, "아니오": false, "아니요": false, "해제": false,
}

func parseSwitch(s string) (on, ok bool) {
	on, ok = switchWords[normWord(s)]
	return on, ok
}

// validPayload reports whether s is a Telegram deep-link payload.
func validPayload(s string) bool {
	if s == "" || len(s) > MaxPayloadLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// digits parses s as 1..n ASCII digits.
func digits(s string, n int) (int, bool) {
	if s == "" || len(s) > n {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// parseDueDay reads a due day: "25", "25일", "25th", "말일", "월말" or
// "last" (LastDay).
func parseDueDay(s string) (int, bool) {
	s = strings.TrimSpace(normWord(s))
	switch s {
	case "말일", "월말", "last":
		return LastDay, true
	}
	if t, ok := strings.CutSuffix(s, "일"); ok {
		s = t
	} else if len(s) > 2 {
		switch s[len(s)-2:] {
		case "st", "nd", "rd", "th":
			s = s[:len(s)-2]
		}
	}
	d, ok := digits(s, 2)
	if !ok || d < 1 || d > 31 {
		return 0, false
	}
	return d, true
}

// monthWords maps English month names and abbreviations to months.
var monthWords = func() map[string]time.Month {
	m := make(map[string]time.Month, 24)
	for mo := time.January; mo <= time.December; mo++ {
		name := strings.ToLower(mo.String())
		m[name] = mo
		m[name[:3]] = mo
	}
	m["sept"] = time.September
	return m
}()

// parseMonth reads a month: "2026-11", "2026.11", "2026/11", "2026.11.",
// "202611" or "2026년11월" give a Period in 2000..2099; "11월", "Nov" and
// "November" a month of the year.
func parseMonth(s string) (ledger.Period, time.Month, bool) {
	s = strings.TrimSpace(normWord(s))
	if mo, ok := monthWords[s]; ok {
		return 0, mo, true
	}
	var ys, ms string
	if rest, ok := strings.CutSuffix(s, "월"); ok {
		var hasYear bool
		if ys, ms, hasYear = strings.Cut(rest, "년"); !hasYear {
			m, ok := digits(rest, 2)
			if !ok || m < 1 || m > 12 {
				return 0, 0, false
			}
			return 0, time.Month(m), true
		}
	} else {
		s = strings.TrimSuffix(s, ".")
		i := strings.IndexAny(s, "-./")
		switch {
		case i >= 0:
			ys, ms = s[:i], s[i+1:]
		case len(s) == 6:
			ys, ms = s[:4], s[4:]
		default:
			return 0, 0, false
		}
	}
	y, ok1 := digits(ys, 4)
	m, ok2 := digits(ms, 2)
	if !ok1 || !ok2 || len(ys) != 4 || y < minCommandYear || y > maxCommandYear || m < 1 || m > 12 {
		return 0, 0, false
	}
	return ledger.NewPeriod(y, time.Month(m)), 0, true
}

// parseDays reads reminder days: offsets separated by commas or spaces,
// "-3,0,3" or "-3, 0, 3", each in −MaxReminderOffset..MaxReminderOffset
// and given once.
func parseDays(s string) ([]int, error) {
	fields := strings.FieldsFunc(norm.NFKC.String(s), func(r rune) bool { return r == ',' || isSeparator(r) })
	if len(fields) == 0 {
		return nil, errMissing
	}
	if len(fields) > 2*MaxReminderOffset+1 {
		return nil, errTooMany
	}
	days := make([]int, 0, len(fields))
	for _, f := range fields {
		neg := false
		switch r, size := utf8.DecodeRuneInString(f); r {
		case '-', '−':
			neg, f = true, f[size:]
		case '+':
			f = f[size:]
		}
		d, ok := digits(f, 2)
		if !ok || d > MaxReminderOffset {
			return nil, fmt.Errorf("reminder day %q is not %d..%d", f, -MaxReminderOffset, MaxReminderOffset)
		}
		if neg {
			d = -d
		}
		for _, e := range days {
			if e == d {
				return nil, fmt.Errorf("reminder day %d given twice", d)
			}
		}
		days = append(days, d)
	}
	return days, nil
}

// parseClock reads a time of day: "10:00", "9:30", "21:05", "10시",
// "10시30분", "10시반", "오전10시", "오후3시", "3pm", "3:30pm".
func parseClock(s string) (hour, minute int, ok bool) {
	s = normWord(s)
	half := 0 // 0: 24-hour clock; 1: a.m.; 2: p.m.
	if rest, found := strings.CutPrefix(s, "오전"); found {
		s, half = rest, 1
	} else if rest, found := strings.CutPrefix(s, "오후"); found {
		s, half = rest, 2
	} else if rest, found := strings.CutSuffix(s, "am"); found {
		s, half = rest, 1
	} else if rest, found := strings.CutSuffix(s, "pm"); found {
		s, half = rest, 2
	}
	var hs, ms string
	if h, m, found := strings.Cut(s, ":"); found {
		if len(m) != 2 {
			return 0, 0, false
		}
		hs, ms = h, m
	} else if h, m, found := strings.Cut(s, "시"); found {
		hs = h
		switch {
		case m == "":
			ms = "0"
		case m == "반":
			ms = "30"
		default:
			var hasMin bool
			if ms, hasMin = strings.CutSuffix(m, "분"); !hasMin {
				return 0, 0, false
			}
		}
	} else if half != 0 {
		hs, ms = s, "0" // 3pm
	} else {
		return 0, 0, false
	}
	h, ok1 := digits(hs, 2)
	m, ok2 := digits(ms, 2)
	if !ok1 || !ok2 || m > 59 {
		return 0, 0, false
	}
	switch {
	case half == 0 && h > 23, half != 0 && (h < 1 || h > 12):
		return 0, 0, false
	case half == 1 && h == 12:
		h = 0
	case half == 2 && h != 12:
		h += 12
	}
	return h, m, true
}

// parseMention reads a user: "@username" (Telegram: a letter, then
// letters, digits or underscores, 5–32 in all), a numeric user id, or a
// Slack mention "<@U123ABC>" or "<@U123ABC|name>".
func parseMention(s string) (Mention, bool) {
	if rest, ok := strings.CutPrefix(s, "<@"); ok {
		id, ok := strings.CutSuffix(rest, ">")
		if !ok {
			return Mention{}, false
		}
		id, _, _ = strings.Cut(id, "|")
		if len(id) < 3 || len(id) > 32 || id[0] != 'U' && id[0] != 'W' {
			return Mention{}, false
		}
		for i := 0; i < len(id); i++ {
			if !(id[i] >= 'A' && id[i] <= 'Z' || id[i] >= '0' && id[i] <= '9') {
				return Mention{}, false
			}
		}
		return Mention{ID: id}, true
	}
	if name, ok := strings.CutPrefix(s, "@"); ok {
		if len(name) < 5 || len(name) > 32 || !(name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z') {
			return Mention{}, false
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return Mention{}, false
			}
		}
		return Mention{Username: strings.ToLower(name)}, true
	}
	if n, ok := digits(s, 15); ok && s[0] != '0' && n > 0 {
		return Mention{ID: s}, true
	}
	return Mention{}, false
}

// String renders c as a command in its canonical Latin form, which
// ParseCommand parses back to c: "/dues 30000 25", "/member add \"Kim
// Minsu\" 30000 KIMMINSU", "/settings remind_days -3,0,3". Names with
// spaces, or that would read as an amount, are quoted.
func (c Command) String() string {
	var b strings.Builder
	word := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	name := func(s string) {
		if s == "" || strings.IndexFunc(s, isSeparator) >= 0 || amountLike(s) {
			s = `"` + s + `"`
		}
		word(s)
	}
	month := func() {
		switch {
		case !c.Month.IsZero():
			word(c.Month.String())
		case c.MonthOfYear >= time.January && c.MonthOfYear <= time.December:
			word(c.MonthOfYear.String()[:3])
		}
	}
	if c.Payload != "" {
		word("/start")
	} else {
		word("/" + string(c.Name))
	}
	switch c.Name {
	case CmdHelp:
		if c.Payload != "" {
			word(c.Payload)
		} else if c.Topic != "" {
			word(string(c.Topic))
		}
	case CmdSetup:
		if c.Group != "" {
			word(c.Group)
		}
	case CmdDues:
		word(strconv.FormatInt(c.Amount, 10))
		if c.DueDay != 0 {
			word(strconv.Itoa(c.DueDay))
		}
	case CmdMember:
		word(c.Sub)
		name(c.Member)
		switch c.Sub {
		case SubAdd:
			if c.Amount != 0 {
				word(strconv.FormatInt(c.Amount, 10))
			}
		case SubExempt:
			if c.On {
				word("on")
			} else {
				word("off")
			}
		}
		for _, a := range c.Aliases {
			name(a)
		}
	case CmdStatus:
		month()
	case CmdPaid:
		name(c.Member)
		word(strconv.FormatInt(c.Amount, 10))
		month()
	case CmdHistory:
		if c.Member != "" {
			name(c.Member)
		}
	case CmdIAm:
		name(c.Member)
	case CmdTreasurer:
		word(c.Sub)
		if c.User != (Mention{}) {
			word(c.User.String())
		}
	case CmdSettings:
		if c.Setting == "" {
			break
		}
		word(string(c.Setting))
		switch c.Setting {
		case SettingLanguage:
			word(string(c.Lang))
		case SettingDueDay:
			word(strconv.Itoa(c.DueDay))
		case SettingReminders:
			if c.On {
				word("on")
			} else {
				word("off")
			}
		case SettingRemindDays:
			days := make([]string, len(c.Days))
			for i, d := range c.Days {
				days[i] = strconv.Itoa(d)
			}
			word(strings.Join(days, ","))
		case SettingRemindTime:
			word(fmt.Sprintf("%d:%02d", c.Hour, c.Minute))
		}
	}
	return b.String()
}

// Role is who may use a command. Each role may use the commands of the
// roles before it: a treasurer is a member, and a member anyone.
type Role int

// Roles.
const (
	RoleAnyone    Role = iota // anyone in the chat
	RoleMember                // a roster member
	RoleTreasurer             // the group's treasurer or a co-treasurer
)

// String returns "anyone", "member" or "treasurer".
func (r Role) String() string {
	switch r {
	case RoleAnyone:
		return "anyone"
	case RoleMember:
		return "member"
	case RoleTreasurer:
		return "treasurer"
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// Place is where a command is used: in the group chat, in a direct message
// to the bot, or both.
type Place int

// Places. PlaceAny is PlaceGroup|PlaceDM.
const (
	PlaceGroup Place = 1 << iota
	PlaceDM
	PlaceAny = PlaceGroup | PlaceDM
)

// String returns "group", "dm" or "any".
func (p Place) String() string {
	switch p {
	case PlaceGroup:
		return "group"
	case PlaceDM:
		return "dm"
	case PlaceAny:
		return "any"
	}
	return "Place(" + strconv.Itoa(int(p)) + ")"
}

// HelpEntry describes a command for the help text and for Telegram's
// setMyCommands.
type HelpEntry struct {
	// Name is the Latin name, a valid Telegram command (^[a-z0-9_]{1,32}$).
	Name CommandName
	// Korean is the Korean form, without the slash: "현황".
	Korean string
	// Who may use the command and Where.
	Who   Role
	Where Place
	// Description is one line in the language asked for, 1..256
	// characters (Telegram's limit).
	Description string
	// Usage is the command's usage in that language, as Usage returns it.
	Usage string
}

// HelpCommands returns the commands who may use in where (PlaceGroup,
// PlaceDM or PlaceAny), in help order, described in lang. A treasurer gets
// every command, a member the member's and anyone's.
func HelpCommands(lang Lang, who Role, where Place) []HelpEntry {
	var out []HelpEntry
	for _, s := range commandSpecs {
		if s.who > who || s.where&where == 0 {
			continue
		}
		out = append(out, HelpEntry{
			Name:        s.name,
			Korean:      s.korean,
			Who:         s.who,
			Where:       s.where,
			Description: s.desc[langIndex(lang)],
			Usage:       UsageWith("/", s.name, "", lang),
		})
	}
	return out
}

// Usage returns the usage of command name in lang, with Telegram's slash:
//
//	사용법: /회비 <금액> [마감일] — 예: /회비 30000 25
//	Usage: /dues <amount> [due day] — e.g. /dues 30000 25
//
// A command with subcommands or settings keys gets a line for each. An
// unknown name gives "".
func Usage(name CommandName, lang Lang) string {
	return UsageWith("/", name, "", lang)
}

// UsageWith returns the usage of command name in lang, each command written
// after prefix: "/" on Telegram, "/moim " on Slack. sub narrows it to one
// subcommand or settings key (Latin, as in UsageError.Sub); "" or an
// unknown sub gives the whole command's.
func UsageWith(prefix string, name CommandName, sub string, lang Lang) string {
	s, ok := specByName[name]
	if !ok {
		return ""
	}
	l := langIndex(lang)
	forms := s.forms
	for _, f := range s.forms {
		if sub != "" && f.sub == sub {
			forms = []usageForm{f}
			break
		}
	}
	cmd := prefix + string(s.name)
	if l == 0 {
		cmd = prefix + s.korean
	}
	lines := make([]string, len(forms))
	for i, f := range forms {
		line := cmd
		if f.sub != "" {
			line += " " + f.word[l]
		}
		example := line
		if f.args[l] != "" {
			line += " " + f.args[l]
		}
		if f.example[l] != "" {
			line += [2]string{" — 예: ", " — e.g. "}[l] + example + " " + f.example[l]
		}
		lines[i] = line
	}
	head := [2]string{"사용법: ", "Usage: "}[l]
	var out string
	if len(lines) == 1 {
		out = head + lines[0]
	} else {
		out = strings.TrimSpace(head) + "\n" + strings.Join(lines, "\n")
	}
	if s.names {
		out += "\n" + [2]string{`띄어 쓴 이름은 따옴표로 감싸 주세요: "김 민수"`, `Quote names with spaces: "Kim Minsu"`}[l]
	}
	return out
}

// langIndex is 0 for Korean and 1 for English, to index [2]string pairs.
func langIndex(lang Lang) int {
	if lang == English {
		return 1
	}
	return 0
}

// usageForm is one line of a command's usage: a subcommand or settings key
// (or none), its arguments and an example, each in Korean and English.
type usageForm struct {
	sub     string    // Latin subcommand or settings key, "" for none
	word    [2]string // how sub is written in Korean and English
	args    [2]string // the arguments' placeholders
	example [2]string // example arguments, "" for none
}

// commandSpec is one command: the single table that parsing, usage lines,
// help and Telegram's command list all come from.
type commandSpec struct {
	name   CommandName
	korean string
	words  []string // further words for the command
	who    Role
	where  Place
	desc   [2]string // one line, Korean and English
	forms  []usageForm
	names  bool // takes member names: the usage says to quote spaces
}

// both pairs a Korean and an English text.
func both(k, e string) [2]string { return [2]string{k, e} }

// commandSpecs are the commands in help order.
var commandSpecs = []commandSpec{
	{name: CmdHelp, korean: "도움말", words: []string{"start"}, who: RoleAnyone, where: PlaceAny,
		desc:  both("명령어 안내", "List the commands"),
		forms: []usageForm{{args: both("[명령어]", "[command]"), example: both("회비", "dues")}}},
	{name: CmdStatus, korean: "현황", who: RoleAnyone, where: PlaceAny,
		desc:  both("이번 달(또는 그 달) 회비 현황", "This month's dues board, or another month's"),
		forms: []usageForm{{args: both("[연-월]", "[year-month]"), example: both("2026-11", "2026-11")}}},
	{name: CmdUnpaid, korean: "미납", who: RoleAnyone, where: PlaceGroup,
		desc:  both("아직 회비를 안 낸 멤버", "Who has not paid yet"),
		forms: []usageForm{{}}},
	{name: CmdHistory, korean: "내역", who: RoleMember, where: PlaceAny, names: true,
		desc:  both("납부 내역 (본인 것, 총무는 누구 것이든)", "A member's months and deposits (your own; a treasurer's: anyone's)"),
		forms: []usageForm{{args: both("[이름]", "[name]"), example: both("김민수", "Minsu")}}},
	{name: CmdIAm, korean: "나", who: RoleAnyone, where: PlaceGroup, names: true,
		desc:  both("내 채팅 계정을 명단의 내 이름과 연결", "Link your chat account to your name on the roster"),
		forms: []usageForm{{args: both("<이름>", "<name>"), example: both("김민수", "Minsu")}}},
	{name: CmdMembers, korean: "멤버목록", words: []string{"명단"}, who: RoleAnyone, where: PlaceAny,
		desc:  both("멤버 명단", "Show the roster"),
		forms: []usageForm{{}}},
	{name: CmdSetup, korean: "개설", who: RoleAnyone, where: PlaceGroup,
		desc:  both("이 단톡방에 모임 만들기", "Create the group in this chat"),
		forms: []usageForm{{args: both("[모임 이름]", "[group name]"), example: both("독서모임", "Book Club")}}},
	{name: CmdLink, korean: "연결", who: RoleTreasurer, where: PlaceAny,
		desc:  both("모임 통장 연결 (다시 연결)", "Link the bank account, or link it again"),
		forms: []usageForm{{}}},
	{name: CmdDues, korean: "회비", who: RoleTreasurer, where: PlaceAny,
		desc:  both("월 회비와 마감일 정하기", "Set the monthly dues and the due day"),
		forms: []usageForm{{args: both("<금액> [마감일]", "<amount> [due day]"), example: both("30000 25", "30000 25")}}},
	{name: CmdMember, korean: "멤버", who: RoleTreasurer, where: PlaceAny, names: true,
		desc: both("멤버 추가·삭제, 별칭, 회비 면제", "Add or remove members, aliases, exemptions"),
		forms: []usageForm{
			{sub: SubAdd, word: both("추가", "add"), args: both("<이름> [금액] [별칭…]", "<name> [amount] [alias…]"),
				example: both("김민수 30000 민수엄마", `"Kim Minsu" 30000 KIMMINSU`)},
			{sub: SubRemove, word: both("삭제", "remove"), args: both("<이름>", "<name>"), example: both("김민수", `"Kim Minsu"`)},
			{sub: SubAlias, word: both("별칭", "alias"), args: both("<이름> <별칭…>", "<name> <alias…>"),
				example: both("김민수 민수엄마 KIMMINSU", `"Kim Minsu" KIMMINSU`)},
			{sub: SubExempt, word: both("면제", "exempt"), args: both("<이름> [켜기|끄기]", "<name> [on|off]"),
				example: both("정하늘", "Haneul")},
		}},
	{name: CmdPaid, korean: "납부", who: RoleTreasurer, where: PlaceAny, names: true,
		desc:  both("현금으로 받은 회비 기록", "Record dues paid in cash"),
		forms: []usageForm{{args: both("<이름> <금액> [연-월]", "<name> <amount> [year-month]"), example: both("김민수 30000 2026-11", "Minsu 30000 2026-11")}}},
	{name: CmdReview, korean: "확인", who: RoleTreasurer, where: PlaceDM,
		desc:  both("확인이 필요한 입금 보기", "Deposits waiting for your decision"),
		forms: []usageForm{{}}},
	{name: CmdRemind, korean: "알림", who: RoleTreasurer, where: PlaceGroup,
		desc:  both("회비 알림 지금 보내기", "Post the dues reminder now"),
		forms: []usageForm{{}}},
	{name: CmdTreasurer, korean: "총무", who: RoleTreasurer, where: PlaceGroup,
		desc: both("공동 총무 추가·삭제", "Add or remove a co-treasurer"),
		forms: []usageForm{
			{sub: SubAdd, word: both("추가", "add"), args: both("[@사용자 또는 그 사람의 메시지에 답장]", "[@user, or in reply to their message]"), example: both("@minsu_kim", "@minsu_kim")},
			{sub: SubRemove, word: both("삭제", "remove"), args: both("[@사용자 또는 그 사람의 메시지에 답장]", "[@user, or in reply to their message]"), example: both("@minsu_kim", "@minsu_kim")},
		}},
	{name: CmdSettings, korean: "설정", who: RoleTreasurer, where: PlaceAny,
		desc: both("알림·언어·마감일 설정 (그냥 /설정: 지금 설정)", "Reminders, language, due day (no arguments: the current settings)"),
		forms: []usageForm{
			{},
			{sub: string(SettingLanguage), word: both("언어", "language"), args: both("한국어|영어", "ko|en")},
			{sub: string(SettingDueDay), word: both("마감일", "dueday"), args: both("<1–31|말일>", "<1–31|last>"), example: both("25", "25")},
			{sub: string(SettingReminders), word: both("알림", "reminders"), args: both("켜기|끄기", "on|off")},
			{sub: string(SettingRemindDays), word: both("알림일", "remind_days"), args: both("<마감일 기준 날짜,…>", "<days from the due day,…>"), example: both("-3,0,3", "-3,0,3")},
			{sub: string(SettingRemindTime), word: both("알림시각", "remind_time"), args: both("<시:분>", "<hh:mm>"), example: both("10:00", "10:00")},
		}},
	{name: CmdSync, korean: "동기화", who: RoleTreasurer, where: PlaceAny,
		desc:  both("지금 입금 내역 가져오기", "Fetch the deposits now"),
		forms: []usageForm{{}}},
	{name: CmdExport, korean: "내보내기", who: RoleTreasurer, where: PlaceAny,
		desc:  both("회비 내역 CSV를 DM으로 받기", "Get the dues records as CSV by direct message"),
		forms: []usageForm{{}}},
}

// specByName and specByWord index commandSpecs by name and by every word
// that calls the command (folded by normWord).
var specByName, specByWord = func() (map[CommandName]*commandSpec, map[string]*commandSpec) {
	byName := make(map[CommandName]*commandSpec, len(commandSpecs))
	byWord := make(map[string]*commandSpec, 3*len(commandSpecs))
	for i := range commandSpecs {
		s := &commandSpecs[i]
		byName[s.name] = s
		byWord[string(s.name)] = s
		byWord[s.korean] = s
		for _, w := range s.words {
			byWord[w] = s
		}
	}
	return byName, byWord
}()

// lookupCommand finds the command word calls, case-insensitively.
func lookupCommand(word string) (*commandSpec, bool) {
	s, ok := specByWord[normWord(word)]
	return s, ok
}
