package bot

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/moimbot/moimbot/ledger"
)

// FuzzParseCommand checks, for any text, that parsing does not panic, is
// deterministic, fails only with the documented errors, and that a parsed
// command holds only its own fields, within their documented bounds, and
// renders (String) to text that parses back to the same command. ParseArgs
// is held to the same.
func FuzzParseCommand(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	for _, tt := range parseErrorTests {
		f.Add(tt.in)
	}
	for _, s := range []string{
		`/member add “a b” 1만 5천 「c」 『d』`, "/settings remind_days -3,,0", "/status 2026년", "/paid a 1 2026년 x",
		"/treasurer add <@U1|>", "/setup \"\" a", "/member add a \"\"", "/dues 1.5천만 31st",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCommand(text, cmdBot)
		c2, err2 := ParseCommand(text, cmdBot)
		if !reflect.DeepEqual(c, c2) || errString(err) != errString(err2) {
			t.Fatalf("ParseCommand(%q) not deterministic: %v, %v and %v, %v", text, c, err, c2, err2)
		}
		checkFuzzResult(t, "ParseCommand", text, c, err)

		a, err := ParseArgs(text)
		checkFuzzResult(t, "ParseArgs", text, a, err)
	})
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkFuzzResult checks one result of ParseCommand (whole) or ParseArgs.
func checkFuzzResult(t *testing.T, fn, text string, c Command, err error) {
	t.Helper()
	if err != nil {
		if !reflect.DeepEqual(c, Command{}) {
			t.Fatalf("%s(%q) = %#v with error %v", fn, text, c, err)
		}
		var ue *UsageError
		switch {
		case errors.As(err, &ue):
			if _, ok := specByName[ue.Command]; !ok || ue.Err == nil {
				t.Fatalf("%s(%q): usage error %#v", fn, text, ue)
			}
			if ue.Usage(Korean) == "" || ue.Usage(English) == "" {
				t.Fatalf("%s(%q): no usage for %v", fn, text, err)
			}
		case errors.Is(err, ErrUnknownCommand):
		case fn == "ParseCommand" && (errors.Is(err, ErrNotCommand) || errors.Is(err, ErrOtherBot)):
		default:
			t.Fatalf("%s(%q): unexpected error %v", fn, text, err)
		}
		return
	}
	if p := commandProblem(c); p != "" {
		t.Fatalf("%s(%q) = %#v: %s", fn, text, c, p)
	}
	rendered := c.String()
	back, err := ParseCommand(rendered, cmdBot)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Fatalf("%s(%q) = %#v, rendered %q, parses back to %#v, %v", fn, text, c, rendered, back, err)
	}
	if again := back.String(); again != rendered {
		t.Fatalf("%s(%q): rendered %q, then %q", fn, text, rendered, again)
	}
}

// commandProblem describes what is wrong with a parsed command: a field
// its command does not take, or one out of its documented bounds; "" when
// nothing is.
func commandProblem(c Command) string {
	if _, ok := specByName[c.Name]; !ok {
		return "unknown name"
	}
	// set lists the fields that are not zero.
	var set []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Sub", c.Sub != ""}, {"Topic", c.Topic != ""}, {"Payload", c.Payload != ""}, {"Group", c.Group != ""},
		{"Member", c.Member != ""}, {"Aliases", c.Aliases != nil}, {"Amount", c.Amount != 0}, {"DueDay", c.DueDay != 0},
		{"Month", c.Month != 0}, {"MonthOfYear", c.MonthOfYear != 0}, {"On", c.On}, {"User", c.User != Mention{}},
		{"Setting", c.Setting != ""}, {"Lang", c.Lang != ""}, {"Days", c.Days != nil}, {"Hour", c.Hour != 0}, {"Minute", c.Minute != 0},
	} {
		if f.set {
			set = append(set, f.name)
		}
	}
	// allowed and required fields per command.
	var allowed, required []string
	switch c.Name {
	case CmdHelp:
		allowed = []string{"Topic", "Payload"}
	case CmdSetup:
		allowed = []string{"Group"}
	case CmdDues:
		allowed, required = []string{"Amount", "DueDay"}, []string{"Amount"}
	case CmdMember:
		required = []string{"Sub", "Member"}
		switch c.Sub {
		case SubAdd:
			allowed = []string{"Amount", "Aliases"}
		case SubRemove:
		case SubAlias:
			allowed = []string{"Aliases"}
			required = append(required, "Aliases")
		case SubExempt:
			allowed = []string{"On"}
		default:
			return "member subcommand " + strconv.Quote(c.Sub)
		}
		allowed = append(allowed, required...)
	case CmdStatus:
		allowed = []string{"Month", "MonthOfYear"}
	case CmdPaid:
		allowed, required = []string{"Member", "Amount", "Month", "MonthOfYear"}, []string{"Member", "Amount"}
	case CmdHistory:
		allowed = []string{"Member"}
	case CmdIAm:
		allowed, required = []string{"Member"}, []string{"Member"}
	case CmdTreasurer:
		if c.Sub != SubAdd && c.Sub != SubRemove {
			return "treasurer subcommand " + strconv.Quote(c.Sub)
		}
		allowed, required = []string{"Sub", "User"}, []string{"Sub"}
	case CmdSettings:
		switch c.Setting {
		case "":
		case SettingLanguage:
			allowed, required = []string{"Setting", "Lang"}, []string{"Setting", "Lang"}
		case SettingDueDay:
			allowed, required = []string{"Setting", "DueDay"}, []string{"Setting", "DueDay"}
		case SettingReminders:
			allowed, required = []string{"Setting", "On"}, []string{"Setting"}
		case SettingRemindDays:
			allowed, required = []string{"Setting", "Days"}, []string{"Setting", "Days"}
		case SettingRemindTime:
			allowed, required = []string{"Setting", "Hour", "Minute"}, []string{"Setting"}
		default:
			return "setting " + strconv.Quote(string(c.Setting))
		}
	}
	for _, f := range set {
		if !slices.Contains(allowed, f) {
			return "sets " + f
		}
	}
	for _, f := range required {
		if !slices.Contains(set, f) {
			return "lacks " + f
		}
	}

	switch {
	case c.Topic != "" && c.Payload != "":
		return "both Topic and Payload"
	case c.Topic != "" && specByName[c.Topic] == nil:
		return "unknown Topic"
	case c.Payload != "" && !validPayload(c.Payload):
		return "bad Payload"
	case c.Group != "" && !validName(c.Group, MaxGroupNameRunes):
		return "bad Group"
	case c.Member != "" && !validName(c.Member, MaxNameRunes):
		return "bad Member"
	case c.Aliases != nil && (len(c.Aliases) == 0 || len(c.Aliases) > MaxAliases):
		return "bad number of Aliases"
	case c.Amount != 0 && (c.Amount < 1 || c.Amount > MaxAmount):
		return "Amount out of bounds"
	case c.DueDay != 0 && (c.DueDay < 1 || c.DueDay > 31):
		return "DueDay out of bounds"
	case c.Month != 0 && c.MonthOfYear != 0:
		return "both Month and MonthOfYear"
	case c.Month != 0 && (c.Month < ledger.NewPeriod(2000, time.January) || c.Month > ledger.NewPeriod(2099, time.December)):
		return "Month out of bounds"
	case c.MonthOfYear != 0 && (c.MonthOfYear < time.January || c.MonthOfYear > time.December):
		return "MonthOfYear out of bounds"
	case c.Lang != "" && c.Lang != Korean && c.Lang != English:
		return "bad Lang"
	case c.Days != nil && (len(c.Days) == 0 || (ReminderPlan{Days: c.Days}).Validate() != nil):
		return "bad Days"
	case c.Hour < 0 || c.Hour > 23 || c.Minute < 0 || c.Minute > 59:
		return "time out of bounds"
	}
	for _, a := range c.Aliases {
		if !validName(a, MaxNameRunes) {
			return "bad alias " + strconv.Quote(a)
		}
	}
	if u := c.User; u != (Mention{}) {
		if (u.Username == "") == (u.ID == "") {
			return "User has both or neither of Username and ID"
		}
		if back, ok := parseMention(u.String()); !ok || back != u {
			return "bad User"
		}
		if u.Username != strings.ToLower(u.Username) {
			return "Username not lower-cased"
		}
	}
	return ""
}

// validName reports whether s is a name as Command documents it.
func validName(s string, maxRunes int) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxRunes || !norm.NFC.IsNormalString(s) {
		return false
	}
	if strings.TrimSpace(s) != s || strings.Contains(s, "  ") {
		return false
	}
	for _, r := range s {
		if r != ' ' && isSeparator(r) || unicode.IsControl(r) || isQuote(r) || r == utf8.RuneError ||
			unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
			return false
		}
	}
	return true
}

// FuzzParseWon checks, for any text, that ParseWon does not panic, is
// deterministic, returns only amounts in 1..MaxAmount, agrees with
// strconv on plain digits, and reads back what Won writes of its result.
func FuzzParseWon(f *testing.F) {
	for _, s := range []string{
		"30000", "30,000원", "₩30,000", "3만", "3.5만", "1만5천", "1만 5천원", "３００００", "만원", "3천만", "1억",
		"0", "-3만", "30000.5", "3.33333만", "1만15000", "99999999999999999999", "0.00000001억", "2.5k", `\30000`,
		"1,000,000", "9999만9999", "1.5천만", "3천5만", "십만원",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseWon(s)
		n2, err2 := ParseWon(s)
		if n != n2 || errString(err) != errString(err2) {
			t.Fatalf("ParseWon(%q) not deterministic: %d, %v and %d, %v", s, n, err, n2, err2)
		}
		if plain, perr := strconv.ParseUint(s, 10, 64); perr == nil && s[0] != '0' && s[0] != '+' {
			if want := int64(plain); plain <= MaxAmount && (n != want || err != nil) {
				t.Fatalf("ParseWon(%q) = %d, %v; want %d", s, n, err, want)
			}
			if plain > MaxAmount && !errors.Is(err, ErrAmountTooLarge) {
				t.Fatalf("ParseWon(%q) = %d, %v; want too large", s, n, err)
			}
		}
		if err != nil {
			if n != 0 || !strings.HasPrefix(err.Error(), "bot: amount ") {
				t.Fatalf("ParseWon(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n < 1 || n > MaxAmount {
			t.Fatalf("ParseWon(%q) = %d, out of 1..%d", s, n, MaxAmount)
		}
		for _, back := range []string{strconv.FormatInt(n, 10), Won(Korean, n), Won(English, n)} {
			if m, err := ParseWon(back); m != n || err != nil {
				t.Fatalf("ParseWon(%q) = %d, but ParseWon(%q) = %d, %v", s, n, back, m, err)
			}
		}
		// 원 may end any amount that does not end with it already.
		t2 := strings.ToLower(strings.TrimRightFunc(norm.NFKC.String(s), isSeparator))
		if !strings.HasSuffix(t2, "원") && !strings.HasSuffix(t2, "won") {
			if m, err := ParseWon(s + "원"); m != n || err != nil {
				t.Fatalf("ParseWon(%q) = %d, but ParseWon(%q) = %d, %v", s, n, s+"원", m, err)
			}
		}
	})
}
