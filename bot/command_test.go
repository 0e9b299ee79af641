package bot

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moimbot/moimbot/ledger"
)

// cmdBot is the bot's username in the tests.
const cmdBot = "moim_test_bot"

var cmdNov26 = ledger.NewPeriod(2026, time.November)

// parseTests are valid commands and what they parse to. They also seed
// FuzzParseCommand.
var parseTests = []struct {
	name string
	in   string
	want Command
}{
	// help
	{"Help", "/help", Command{Name: CmdHelp}},
	{"HelpStart", "/start", Command{Name: CmdHelp}},
	{"HelpKorean", "/도움말", Command{Name: CmdHelp}},
	{"HelpUpperCase", "/Help", Command{Name: CmdHelp}},
	{"HelpThisBotMixedCase", "/HELP@Moim_Test_Bot", Command{Name: CmdHelp}},
	{"HelpTopic", "/help dues", Command{Name: CmdHelp, Topic: CmdDues}},
	{"HelpTopicKorean", "/도움말 회비", Command{Name: CmdHelp, Topic: CmdDues}},
	{"HelpTopicSlash", "/help /Status", Command{Name: CmdHelp, Topic: CmdStatus}},
	{"HelpTopicAlias", "/help 명단", Command{Name: CmdHelp, Topic: CmdMembers}},
	{"StartPayload", "/start abc-DEF_123", Command{Name: CmdHelp, Payload: "abc-DEF_123"}},
	{"StartPayloadThisBot", "/start@moim_test_bot grp_42", Command{Name: CmdHelp, Payload: "grp_42"}},
	{"StartPayloadLongest", "/start " + strings.Repeat("a", 64), Command{Name: CmdHelp, Payload: strings.Repeat("a", 64)}},

	// setup
	{"Setup", "/setup", Command{Name: CmdSetup}},
	{"SetupName", "/setup 독서모임", Command{Name: CmdSetup, Group: "독서모임"}},
	{"SetupKoreanWords", "/개설 우리  독서 모임", Command{Name: CmdSetup, Group: "우리 독서 모임"}},
	{"SetupQuoted", `/setup "Book Club"`, Command{Name: CmdSetup, Group: "Book Club"}},
	{"SetupIdeographicSpace", "/setup Book\u3000Club", Command{Name: CmdSetup, Group: "Book Club"}},
	{"SetupEmoji", "/setup 독서모임📚", Command{Name: CmdSetup, Group: "독서모임📚"}},
	{"SetupLongest", "/setup " + strings.Repeat("모", 50), Command{Name: CmdSetup, Group: strings.Repeat("모", 50)}},

	// link
	{"Link", "/link", Command{Name: CmdLink}},
	{"LinkKorean", "/연결", Command{Name: CmdLink}},

	// dues
	{"Dues", "/dues 30000 25", Command{Name: CmdDues, Amount: 30000, DueDay: 25}},
	{"DuesAmountOnly", "/dues 30000", Command{Name: CmdDues, Amount: 30000}},
	{"DuesKorean", "/회비 3만 25일", Command{Name: CmdDues, Amount: 30000, DueDay: 25}},
	{"DuesCommaWon", "/dues 30,000원", Command{Name: CmdDues, Amount: 30000}},
	{"DuesWonSignLastDay", "/dues ₩30,000 말일", Command{Name: CmdDues, Amount: 30000, DueDay: LastDay}},
	{"DuesDecimalManLast", "/dues 3.5만 last", Command{Name: CmdDues, Amount: 35000, DueDay: 31}},
	{"DuesManCheon", "/회비 1만5천 5", Command{Name: CmdDues, Amount: 15000, DueDay: 5}},
	{"DuesFullWidth", "/회비 ３００００ ２５", Command{Name: CmdDues, Amount: 30000, DueDay: 25}},
	{"DuesOrdinal", "/dues 30000 1st", Command{Name: CmdDues, Amount: 30000, DueDay: 1}},
	{"DuesMonthEnd", "/회비 30000 월말", Command{Name: CmdDues, Amount: 30000, DueDay: 31}},
	{"DuesMax", "/dues 1억", Command{Name: CmdDues, Amount: MaxAmount}},

	// member
	{"MemberAdd", "/member add 김민수", Command{Name: CmdMember, Sub: SubAdd, Member: "김민수"}},
	{"MemberAddAll", "/member add 김민수 30000 민수엄마 KIMMINSU",
		Command{Name: CmdMember, Sub: SubAdd, Member: "김민수", Amount: 30000, Aliases: []string{"민수엄마", "KIMMINSU"}}},
	{"MemberAddKoreanQuoted", `/멤버 추가 "김 민수" 3만원 “KIM MIN SU”`,
		Command{Name: CmdMember, Sub: SubAdd, Member: "김 민수", Amount: 30000, Aliases: []string{"KIM MIN SU"}}},
	{"MemberAddAliasNoAmount", "/member add 김민수 민수엄마",
		Command{Name: CmdMember, Sub: SubAdd, Member: "김민수", Aliases: []string{"민수엄마"}}},
	{"MemberAddQuotedNumberIsAlias", `/member add 김민수 "1004"`,
		Command{Name: CmdMember, Sub: SubAdd, Member: "김민수", Aliases: []string{"1004"}}},
	{"MemberAddKoreanAmountWord", "/멤버 추가 김민수 만원",
		Command{Name: CmdMember, Sub: SubAdd, Member: "김민수", Amount: 10000}},
	{"MemberAddNameLikeUnit", "/멤버 추가 김민수 만수",
		Command{Name: CmdMember, Sub: SubAdd, Member: "김민수", Aliases: []string{"만수"}}},
	{"MemberAddCornerQuotes", "/멤버 추가 「박 서준」 15000",
		Command{Name: CmdMember, Sub: SubAdd, Member: "박 서준", Amount: 15000}},
	{"MemberAddCaseInsensitive", "/Member ADD 김민수", Command{Name: CmdMember, Sub: SubAdd, Member: "김민수"}},
	{"MemberAddMaxAliases", "/member add 김 3만 a b c d e f g h i j",
		Command{Name: CmdMember, Sub: SubAdd, Member: "김", Amount: 30000, Aliases: strings.Fields("a b c d e f g h i j")}},
	{"MemberAddLongestName", "/member add " + strings.Repeat("김", 40), Command{Name: CmdMember, Sub: SubAdd, Member: strings.Repeat("김", 40)}},
	{"MemberAddNFC", "/member add \u1100\u1175\u11b7", Command{Name: CmdMember, Sub: SubAdd, Member: "김"}},
	{"MemberAddInnerSpaces", "/member add \"  Kim \u00a0 Minsu \"", Command{Name: CmdMember, Sub: SubAdd, Member: "Kim Minsu"}},
	{"MemberAddBackslash", `/member add O\Brien`, Command{Name: CmdMember, Sub: SubAdd, Member: `O\Brien`}},
	{"MemberAddApostrophe", "/member add O'Brien", Command{Name: CmdMember, Sub: SubAdd, Member: "O'Brien"}},
	{"MemberRemove", "/member remove 김민수", Command{Name: CmdMember, Sub: SubRemove, Member: "김민수"}},
	{"MemberRemoveKorean", "/멤버 삭제 김민수", Command{Name: CmdMember, Sub: SubRemove, Member: "김민수"}},
	{"MemberRemoveKorean2", "/멤버 제거 김민수", Command{Name: CmdMember, Sub: SubRemove, Member: "김민수"}},
	{"MemberDelete", "/member delete 김민수", Command{Name: CmdMember, Sub: SubRemove, Member: "김민수"}},
	{"MemberAlias", "/member alias 김민수 민수엄마 KIMMINSU",
		Command{Name: CmdMember, Sub: SubAlias, Member: "김민수", Aliases: []string{"민수엄마", "KIMMINSU"}}},
	{"MemberAliasKorean", "/멤버 별칭 김민수 『김 민수』",
		Command{Name: CmdMember, Sub: SubAlias, Member: "김민수", Aliases: []string{"김 민수"}}},
	{"MemberAliasNumber", "/member alias 김민수 3만",
		Command{Name: CmdMember, Sub: SubAlias, Member: "김민수", Aliases: []string{"3만"}}},
	{"MemberExempt", "/member exempt 정하늘", Command{Name: CmdMember, Sub: SubExempt, Member: "정하늘", On: true}},
	{"MemberExemptOn", "/member exempt 정하늘 on", Command{Name: CmdMember, Sub: SubExempt, Member: "정하늘", On: true}},
	{"MemberExemptKoreanOff", "/멤버 면제 정하늘 끄기", Command{Name: CmdMember, Sub: SubExempt, Member: "정하늘"}},
	{"MemberExemptRelease", "/멤버 면제 정하늘 해제", Command{Name: CmdMember, Sub: SubExempt, Member: "정하늘"}},
	{"MemberList", "/member list", Command{Name: CmdMembers}},
	{"MemberListKorean", "/멤버 목록", Command{Name: CmdMembers}},

	// members
	{"Members", "/members", Command{Name: CmdMembers}},
	{"MembersKorean", "/멤버목록", Command{Name: CmdMembers}},
	{"MembersRoster", "/명단", Command{Name: CmdMembers}},

	// status
	{"Status", "/status", Command{Name: CmdStatus}},
	{"StatusKorean", "/현황", Command{Name: CmdStatus}},
	{"StatusMonth", "/status 2026-11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusThisBot", "/status@moim_test_bot 2026-11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusThisBotUpper", "/Status@MOIM_TEST_BOT", Command{Name: CmdStatus}},
	{"StatusKoreanThisBot", "/현황@moim_test_bot", Command{Name: CmdStatus}},
	{"StatusDots", "/현황 2026.11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusDotsTrailing", "/현황 2026.11.", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusSlash", "/status 2026/11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusSixDigits", "/status 202611", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusOneDigitMonth", "/status 2026-1", Command{Name: CmdStatus, Month: ledger.NewPeriod(2026, time.January)}},
	{"StatusKoreanYearMonth", "/현황 2026년 11월", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusKoreanYearMonthJoined", "/현황 2026년11월", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusKoreanDots", "/현황 2026. 11.", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusFullWidth", "/status ２０２６－１１", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusMonthOfYear", "/현황 11월", Command{Name: CmdStatus, MonthOfYear: time.November}},
	{"StatusMonthOfYearPadded", "/현황 03월", Command{Name: CmdStatus, MonthOfYear: time.March}},
	{"StatusEnglishMonth", "/status Nov", Command{Name: CmdStatus, MonthOfYear: time.November}},
	{"StatusEnglishMonthLong", "/status SEPTEMBER", Command{Name: CmdStatus, MonthOfYear: time.September}},
	{"StatusSpaces", "  /status  \n", Command{Name: CmdStatus}},
	{"StatusNewline", "/status\n2026-11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusNBSP", "/status\u00a02026-11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusIdeographicSpace", "/현황\u300011월", Command{Name: CmdStatus, MonthOfYear: time.November}},
	{"StatusZeroWidthSpace", "\u200b/status\u200b2026-11", Command{Name: CmdStatus, Month: cmdNov26}},
	{"StatusFullWidthSlash", "／status", Command{Name: CmdStatus}},
	{"StatusFullWidthLetters", "/ｓｔａｔｕｓ", Command{Name: CmdStatus}},
	{"StatusFirstYear", "/status 2000-01", Command{Name: CmdStatus, Month: ledger.NewPeriod(2000, time.January)}},
	{"StatusLastYear", "/status 2099-12", Command{Name: CmdStatus, Month: ledger.NewPeriod(2099, time.December)}},

	// unpaid
	{"Unpaid", "/unpaid", Command{Name: CmdUnpaid}},
	{"UnpaidKorean", "/미납", Command{Name: CmdUnpaid}},

	// paid
	{"Paid", "/paid 김민수 30000", Command{Name: CmdPaid, Member: "김민수", Amount: 30000}},
	{"PaidKoreanMonth", "/납부 김민수 3만 2026-11", Command{Name: CmdPaid, Member: "김민수", Amount: 30000, Month: cmdNov26}},
	{"PaidQuotedMonthOfYear", `/paid "Kim Minsu" 30,000원 11월`,
		Command{Name: CmdPaid, Member: "Kim Minsu", Amount: 30000, MonthOfYear: time.November}},
	{"PaidKoreanYearMonth", "/paid 김민수 3만 2026년 11월", Command{Name: CmdPaid, Member: "김민수", Amount: 30000, Month: cmdNov26}},
	{"PaidNumericName", "/paid 1004 3만", Command{Name: CmdPaid, Member: "1004", Amount: 30000}},

	// review, remind
	{"Review", "/review", Command{Name: CmdReview}},
	{"ReviewKorean", "/확인", Command{Name: CmdReview}},
	{"Remind", "/remind", Command{Name: CmdRemind}},
	{"RemindKorean", "/알림", Command{Name: CmdRemind}},

	// history
	{"History", "/history", Command{Name: CmdHistory}},
	{"HistoryKorean", "/내역 김민수", Command{Name: CmdHistory, Member: "김민수"}},
	{"HistoryQuoted", `/history "Kim Minsu"`, Command{Name: CmdHistory, Member: "Kim Minsu"}},

	// iam
	{"IAm", "/iam 김민수", Command{Name: CmdIAm, Member: "김민수"}},
	{"IAmKorean", "/나 김민수", Command{Name: CmdIAm, Member: "김민수"}},
	{"IAmSmartQuotes", "/iam “Kim Minsu”", Command{Name: CmdIAm, Member: "Kim Minsu"}},
	{"IAmSmartQuotesSame", "/iam “Kim Minsu“", Command{Name: CmdIAm, Member: "Kim Minsu"}},
	{"IAmRightQuotes", "/iam ”Kim Minsu”", Command{Name: CmdIAm, Member: "Kim Minsu"}},
	{"IAmEmojiJoiner", "/iam 민수👨\u200d👩\u200d👧", Command{Name: CmdIAm, Member: "민수👨\u200d👩\u200d👧"}},

	// treasurer
	{"TreasurerAdd", "/treasurer add @Minsu_Kim", Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{Username: "minsu_kim"}}},
	{"TreasurerAddByReply", "/treasurer add", Command{Name: CmdTreasurer, Sub: SubAdd}},
	{"TreasurerAddKorean", "/총무 추가 @minsu_kim", Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{Username: "minsu_kim"}}},
	{"TreasurerRemoveKorean", "/총무 삭제 @minsu_kim", Command{Name: CmdTreasurer, Sub: SubRemove, User: Mention{Username: "minsu_kim"}}},
	{"TreasurerRemoveID", "/treasurer remove 123456789", Command{Name: CmdTreasurer, Sub: SubRemove, User: Mention{ID: "123456789"}}},
	{"TreasurerSlack", "/treasurer add <@U0123ABC>", Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{ID: "U0123ABC"}}},
	{"TreasurerSlackName", "/treasurer add <@W0123ABC|minsu>", Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{ID: "W0123ABC"}}},

	// settings
	{"Settings", "/settings", Command{Name: CmdSettings}},
	{"SettingsKorean", "/설정", Command{Name: CmdSettings}},
	{"SettingsLanguage", "/settings language en", Command{Name: CmdSettings, Setting: SettingLanguage, Lang: English}},
	{"SettingsLanguageKorean", "/설정 언어 한국어", Command{Name: CmdSettings, Setting: SettingLanguage, Lang: Korean}},
	{"SettingsLanguageEnglishKorean", "/설정 언어 영어", Command{Name: CmdSettings, Setting: SettingLanguage, Lang: English}},
	{"SettingsLang", "/settings LANG EN", Command{Name: CmdSettings, Setting: SettingLanguage, Lang: English}},
	{"SettingsDueDay", "/settings dueday 25", Command{Name: CmdSettings, Setting: SettingDueDay, DueDay: 25}},
	{"SettingsDueDayUnderscore", "/settings due_day 25일", Command{Name: CmdSettings, Setting: SettingDueDay, DueDay: 25}},
	{"SettingsDueDayKoreanLast", "/설정 마감일 말일", Command{Name: CmdSettings, Setting: SettingDueDay, DueDay: 31}},
	{"SettingsRemindersOff", "/settings reminders off", Command{Name: CmdSettings, Setting: SettingReminders}},
	{"SettingsRemindersKoreanOn", "/설정 알림 켜기", Command{Name: CmdSettings, Setting: SettingReminders, On: true}},
	{"SettingsRemindDays", "/settings remind_days -3,0,3", Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{-3, 0, 3}}},
	{"SettingsRemindDaysKoreanSpaced", "/설정 알림일 -3, 0, 3", Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{-3, 0, 3}}},
	{"SettingsRemindDaysHyphenKey", "/settings remind-days -15 15", Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{-15, 15}}},
	{"SettingsRemindDaysSigns", "/settings remind_days −3,+3", Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{-3, 3}}},
	{"SettingsRemindDaysOne", "/settings remind_days 0", Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{0}}},
	{"SettingsRemindTime", "/settings remind_time 10:00", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 10}},
	{"SettingsRemindTimeEvening", "/settings remind_time 21:05", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 21, Minute: 5}},
	{"SettingsRemindTimeKoreanPM", "/설정 알림시각 오후 3시", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 15}},
	{"SettingsRemindTimeKoreanHalf", "/설정 알림시간 9시반", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 9, Minute: 30}},
	{"SettingsRemindTimeKoreanMinutes", "/설정 알림시각 10시 30분", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 10, Minute: 30}},
	{"SettingsRemindTimeKoreanMidnight", "/설정 알림시각 오전 12시", Command{Name: CmdSettings, Setting: SettingRemindTime}},
	{"SettingsRemindTimePM", "/settings remind_time 3:30pm", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 15, Minute: 30}},
	{"SettingsRemindTimeNoon", "/settings remind_time 12pm", Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 12}},
	{"SettingsRemindTimeMidnight", "/settings remind_time 12am", Command{Name: CmdSettings, Setting: SettingRemindTime}},

	// sync, export
	{"Sync", "/sync", Command{Name: CmdSync}},
	{"SyncKorean", "/동기화", Command{Name: CmdSync}},
	{"Export", "/export", Command{Name: CmdExport}},
	{"ExportKorean", "/내보내기", Command{Name: CmdExport}},
}

func TestParseCommand(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.in, cmdBot)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			if problem := commandProblem(got); problem != "" {
				t.Errorf("ParseCommand(%q) = %v: %s", tt.in, got, problem)
			}
		})
	}
}

// TestParseCommandCoversEveryCommand checks that parseTests hold every
// command in its Latin and Korean form.
func TestParseCommandCoversEveryCommand(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range parseTests {
		word, _ := cutWord(strings.TrimPrefix(tt.in, "/"))
		word, _, _ = strings.Cut(word, "@")
		seen[word] = true
	}
	for _, s := range commandSpecs {
		for _, w := range append([]string{string(s.name), s.korean}, s.words...) {
			if !seen[w] {
				t.Errorf("parseTests have no /%s", w)
			}
		}
	}
}

// usageWant is the *UsageError a test expects.
type usageWant struct {
	cmd CommandName
	sub string
}

// parseErrorTests are texts that are not valid commands and the error
// each gives: a sentinel or a *UsageError.
var parseErrorTests = []struct {
	name  string
	in    string
	is    error      // a sentinel error, or nil
	usage *usageWant // the usage error, or nil
}{
	// not commands
	{name: "Empty", in: "", is: ErrNotCommand},
	{name: "Spaces", in: " \n\u3000", is: ErrNotCommand},
	{name: "Text", in: "hello", is: ErrNotCommand},
	{name: "WordNoSlash", in: "status", is: ErrNotCommand},
	{name: "KoreanNoSlash", in: " 현황", is: ErrNotCommand},
	{name: "URL", in: "http://example.com/status", is: ErrNotCommand},
	{name: "SlashLater", in: "ㅋㅋ /status", is: ErrNotCommand},

	// other bots
	{name: "OtherBot", in: "/status@otherbot", is: ErrOtherBot},
	{name: "OtherBotArgs", in: "/status@otherbot 2026-11", is: ErrOtherBot},
	{name: "OtherBotKorean", in: "/현황@other_bot", is: ErrOtherBot},
	{name: "OtherBotUnknownCommand", in: "/frobnicate@otherbot", is: ErrOtherBot},
	{name: "OtherBotBadArgs", in: "/dues@otherbot abc", is: ErrOtherBot},
	{name: "EmptyBot", in: "/status@", is: ErrOtherBot},
	{name: "BotPrefix", in: "/status@moim_test_bot2", is: ErrOtherBot},

	// unknown commands
	{name: "SlashAlone", in: "/", is: ErrUnknownCommand},
	{name: "SlashSpace", in: "/ ", is: ErrUnknownCommand},
	{name: "SlashSpaceWord", in: "/ status", is: ErrUnknownCommand},
	{name: "Unknown", in: "/unknown", is: ErrUnknownCommand},
	{name: "Misspelt", in: "/statuss", is: ErrUnknownCommand},
	{name: "DoubleSlash", in: "//", is: ErrUnknownCommand},
	{name: "OnlyThisBot", in: "/@moim_test_bot", is: ErrUnknownCommand},
	{name: "KoreanNoSpace", in: "/회비30000", is: ErrUnknownCommand},
	{name: "Path", in: "/home/user", is: ErrUnknownCommand},
	{name: "InvalidUTF8", in: "/stat\xffus", is: ErrUnknownCommand},
	{name: "SubcommandAsCommand", in: "/add", is: ErrUnknownCommand},

	// help
	{name: "HelpUnknownTopic", in: "/help nope", usage: &usageWant{CmdHelp, ""}},
	{name: "HelpTooMany", in: "/help dues status", usage: &usageWant{CmdHelp, ""}},
	{name: "StartTooMany", in: "/start a b", usage: &usageWant{CmdHelp, ""}},
	{name: "StartBadPayload", in: "/start bad!payload", usage: &usageWant{CmdHelp, ""}},
	{name: "StartLongPayload", in: "/start " + strings.Repeat("a", 65), usage: &usageWant{CmdHelp, ""}},
	{name: "StartKoreanPayload", in: "/start 현황", usage: &usageWant{CmdHelp, ""}},

	// setup
	{name: "SetupUnterminatedQuote", in: `/setup "Book Club`, usage: &usageWant{CmdSetup, ""}},
	{name: "SetupTooLong", in: "/setup " + strings.Repeat("모", 51), usage: &usageWant{CmdSetup, ""}},
	{name: "SetupControl", in: "/setup Book\x07Club", usage: &usageWant{CmdSetup, ""}},
	{name: "SetupEmptyQuotes", in: `/setup ""`, usage: &usageWant{CmdSetup, ""}},
	{name: "SetupQuoteInside", in: `/setup Book"Club`, usage: &usageWant{CmdSetup, ""}},

	// link, members, unpaid, review, remind, sync, export: no arguments
	{name: "LinkArgs", in: "/link now", usage: &usageWant{CmdLink, ""}},
	{name: "LinkKoreanArgs", in: "/연결 다시", usage: &usageWant{CmdLink, ""}},
	{name: "MembersArgs", in: "/members all", usage: &usageWant{CmdMembers, ""}},
	{name: "UnpaidArgs", in: "/unpaid 2026-11", usage: &usageWant{CmdUnpaid, ""}},
	{name: "ReviewArgs", in: "/review all", usage: &usageWant{CmdReview, ""}},
	{name: "RemindArgs", in: "/remind now", usage: &usageWant{CmdRemind, ""}},
	{name: "SyncArgs", in: "/sync now", usage: &usageWant{CmdSync, ""}},
	{name: "ExportArgs", in: "/export csv", usage: &usageWant{CmdExport, ""}},

	// dues
	{name: "DuesMissing", in: "/dues", usage: &usageWant{CmdDues, ""}},
	{name: "DuesKoreanMissing", in: "/회비", usage: &usageWant{CmdDues, ""}},
	{name: "DuesNotAmount", in: "/dues abc", usage: &usageWant{CmdDues, ""}},
	{name: "DuesZero", in: "/dues 0", usage: &usageWant{CmdDues, ""}},
	{name: "DuesNegative", in: "/dues -30000", usage: &usageWant{CmdDues, ""}},
	{name: "DuesFraction", in: "/dues 30000.5", usage: &usageWant{CmdDues, ""}},
	{name: "DuesTooLarge", in: "/dues 100000001", usage: &usageWant{CmdDues, ""}},
	{name: "DuesTooLargeKorean", in: "/회비 2억", usage: &usageWant{CmdDues, ""}},
	{name: "DuesOverflow", in: "/dues 99999999999999999999999999", usage: &usageWant{CmdDues, ""}},
	{name: "DuesDay32", in: "/dues 30000 32", usage: &usageWant{CmdDues, ""}},
	{name: "DuesDay0", in: "/dues 30000 0", usage: &usageWant{CmdDues, ""}},
	{name: "DuesDayText", in: "/dues 30000 25일x", usage: &usageWant{CmdDues, ""}},
	{name: "DuesTooMany", in: "/dues 30000 25 x", usage: &usageWant{CmdDues, ""}},
	{name: "DuesQuotedAmount", in: `/dues "30000"`, usage: &usageWant{CmdDues, ""}},
	{name: "DuesSpacedAmount", in: "/dues 30 000", usage: &usageWant{CmdDues, ""}},

	// member
	{name: "MemberMissing", in: "/member", usage: &usageWant{CmdMember, ""}},
	{name: "MemberUnknownSub", in: "/member foo 김민수", usage: &usageWant{CmdMember, ""}},
	{name: "MemberAddMissing", in: "/member add", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddKoreanMissing", in: "/멤버 추가", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddZero", in: "/member add 김민수 0", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddNegative", in: "/member add 김민수 -30000", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddBadAmount", in: "/member add 김민수 3만x", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddTooManyAliases", in: "/member add 김 3만 a b c d e f g h i j k", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddNameTooLong", in: "/member add " + strings.Repeat("김", 41), usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddAliasTooLong", in: "/member add 김 " + strings.Repeat("김", 41), usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddUnterminated", in: `/member add "김 민수`, usage: &usageWant{CmdMember, ""}},
	{name: "MemberAddUnterminatedCorner", in: `/member add 「김 민수"`, usage: &usageWant{CmdMember, ""}},
	{name: "MemberAddTextAfterQuote", in: `/member add "김"민수`, usage: &usageWant{CmdMember, ""}},
	{name: "MemberAddEmptyName", in: `/member add ""`, usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddBlankName", in: "/member add \"\u3000\"", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddBidiOverride", in: "/member add 김\u202e수", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddControl", in: "/member add 김\x1b[31m수", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddQuoteInside", in: `/member add 김"수`, usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddCornerQuoteInside", in: "/member add 김」수", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberAddInvalidUTF8", in: "/member add 김\xff", usage: &usageWant{CmdMember, SubAdd}},
	{name: "MemberRemoveMissing", in: "/member remove", usage: &usageWant{CmdMember, SubRemove}},
	{name: "MemberRemoveTooMany", in: "/member remove 김 민수", usage: &usageWant{CmdMember, SubRemove}},
	{name: "MemberAliasMissing", in: "/member alias 김민수", usage: &usageWant{CmdMember, SubAlias}},
	{name: "MemberAliasTooMany", in: "/member alias 김 a b c d e f g h i j k", usage: &usageWant{CmdMember, SubAlias}},
	{name: "MemberExemptMissing", in: "/멤버 면제", usage: &usageWant{CmdMember, SubExempt}},
	{name: "MemberExemptBadSwitch", in: "/member exempt 정하늘 maybe", usage: &usageWant{CmdMember, SubExempt}},
	{name: "MemberExemptTooMany", in: "/member exempt 정하늘 on x", usage: &usageWant{CmdMember, SubExempt}},
	{name: "MemberListArgs", in: "/member list all", usage: &usageWant{CmdMembers, ""}},

	// status
	{name: "StatusMonth13", in: "/status 2026-13", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusMonth0", in: "/status 2026-00", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusKorean13", in: "/현황 13월", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusKorean0", in: "/현황 0월", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusYearTooEarly", in: "/status 1999-12", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusYearTooLate", in: "/status 2100-01", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusBareNumber", in: "/status 11", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusShortYear", in: "/status 26-11", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusDate", in: "/status 2026-11-01", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusWord", in: "/status foo", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusTooMany", in: "/status 2026-11 x", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusTwoWordsNoYear", in: "/status 11월 2026", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusThreeDigitMonth", in: "/status 2026-011", usage: &usageWant{CmdStatus, ""}},
	{name: "StatusSignedMonth", in: "/status 2026-+1", usage: &usageWant{CmdStatus, ""}},

	// paid
	{name: "PaidMissing", in: "/paid", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidNoAmount", in: "/납부 김민수", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidBadAmount", in: "/paid 김민수 abc", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidSwapped", in: "/paid 30000 김민수", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidUnquotedSpace", in: "/paid 김 민수 30000", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidBadMonth", in: "/paid 김민수 30000 2026-13", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidTooMany", in: "/paid 김민수 30000 2026-11 x", usage: &usageWant{CmdPaid, ""}},
	{name: "PaidQuotedAmount", in: `/paid 김민수 "30000"`, usage: &usageWant{CmdPaid, ""}},
	{name: "PaidTooLarge", in: "/paid 김민수 2억", usage: &usageWant{CmdPaid, ""}},

	// history
	{name: "HistoryTooMany", in: "/history 김 민수", usage: &usageWant{CmdHistory, ""}},
	{name: "HistoryEmptyName", in: `/history ""`, usage: &usageWant{CmdHistory, ""}},

	// iam
	{name: "IAmMissing", in: "/iam", usage: &usageWant{CmdIAm, ""}},
	{name: "IAmKoreanMissing", in: "/나", usage: &usageWant{CmdIAm, ""}},
	{name: "IAmTooMany", in: "/iam 김 민수", usage: &usageWant{CmdIAm, ""}},

	// treasurer
	{name: "TreasurerMissing", in: "/treasurer", usage: &usageWant{CmdTreasurer, ""}},
	{name: "TreasurerUnknownSub", in: "/treasurer list", usage: &usageWant{CmdTreasurer, ""}},
	{name: "TreasurerAlias", in: "/treasurer alias @minsu_kim", usage: &usageWant{CmdTreasurer, ""}},
	{name: "TreasurerNoAt", in: "/treasurer add minsu_kim", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerShortUsername", in: "/treasurer add @kim", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerDigitUsername", in: "/treasurer add @1abcde", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerLongUsername", in: "/treasurer add @" + strings.Repeat("a", 33), usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerBadUsername", in: "/treasurer add @minsu-kim", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerTwo", in: "/treasurer add @minsu_kim @jieun_lee", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerSlackLower", in: "/treasurer add <@u0123abc>", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerSlackChannel", in: "/treasurer add <#C0123ABC>", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerSlackUnclosed", in: "/treasurer add <@U0123ABC", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerLeadingZeroID", in: "/treasurer add 0123", usage: &usageWant{CmdTreasurer, SubAdd}},
	{name: "TreasurerName", in: "/총무 추가 김민수", usage: &usageWant{CmdTreasurer, SubAdd}},

	// settings
	{name: "SettingsUnknownKey", in: "/settings color blue", usage: &usageWant{CmdSettings, ""}},
	{name: "SettingsLanguageMissing", in: "/settings language", usage: &usageWant{CmdSettings, string(SettingLanguage)}},
	{name: "SettingsLanguageUnknown", in: "/settings language fr", usage: &usageWant{CmdSettings, string(SettingLanguage)}},
	{name: "SettingsLanguageTwo", in: "/settings language ko en", usage: &usageWant{CmdSettings, string(SettingLanguage)}},
	{name: "SettingsDueDay0", in: "/settings dueday 0", usage: &usageWant{CmdSettings, string(SettingDueDay)}},
	{name: "SettingsDueDay32", in: "/설정 마감일 32", usage: &usageWant{CmdSettings, string(SettingDueDay)}},
	{name: "SettingsDueDayTwo", in: "/settings dueday 25 26", usage: &usageWant{CmdSettings, string(SettingDueDay)}},
	{name: "SettingsRemindersBad", in: "/settings reminders maybe", usage: &usageWant{CmdSettings, string(SettingReminders)}},
	{name: "SettingsRemindersMissing", in: "/설정 알림", usage: &usageWant{CmdSettings, string(SettingReminders)}},
	{name: "SettingsRemindDaysRange", in: "/settings remind_days -16", usage: &usageWant{CmdSettings, string(SettingRemindDays)}},
	{name: "SettingsRemindDaysTwice", in: "/settings remind_days 1,1", usage: &usageWant{CmdSettings, string(SettingRemindDays)}},
	{name: "SettingsRemindDaysWord", in: "/settings remind_days a", usage: &usageWant{CmdSettings, string(SettingRemindDays)}},
	{name: "SettingsRemindDaysCommas", in: "/settings remind_days ,", usage: &usageWant{CmdSettings, string(SettingRemindDays)}},
	{name: "SettingsRemindDaysSignOnly", in: "/settings remind_days -", usage: &usageWant{CmdSettings, string(SettingRemindDays)}},
	{name: "SettingsRemindTime24", in: "/settings remind_time 24:00", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTime60", in: "/settings remind_time 10:60", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTimeBare", in: "/settings remind_time 10", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTime13pm", in: "/settings remind_time 13pm", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTime0am", in: "/settings remind_time 0am", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTimeOneDigitMinute", in: "/settings remind_time 10:5", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTimeKoreanNoHour", in: "/설정 알림시각 오후", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
	{name: "SettingsRemindTimeKoreanBadMinutes", in: "/설정 알림시각 10시 30", usage: &usageWant{CmdSettings, string(SettingRemindTime)}},
}

func TestParseCommandErrors(t *testing.T) {
	for _, tt := range parseErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.in, cmdBot)
			if err == nil {
				t.Fatalf("ParseCommand(%q) = %v, want an error", tt.in, got)
			}
			if !reflect.DeepEqual(got, Command{}) {
				t.Errorf("ParseCommand(%q) = %#v with error %v, want the zero Command", tt.in, got, err)
			}
			checkParseError(t, tt.in, err, tt.is, tt.usage)
		})
	}
}

// checkParseError checks that err is sentinel is, or the usage error
// usage.
func checkParseError(t *testing.T, in string, err, is error, usage *usageWant) {
	t.Helper()
	var ue *UsageError
	switch {
	case is != nil:
		if !errors.Is(err, is) {
			t.Errorf("%q: error %v, want %v", in, err, is)
		}
		if errors.As(err, &ue) {
			t.Errorf("%q: error %v is a usage error", in, err)
		}
	case !errors.As(err, &ue):
		t.Errorf("%q: error %v, want a usage error of /%s", in, err, usage.cmd)
	default:
		if ue.Command != usage.cmd || ue.Sub != usage.sub {
			t.Errorf("%q: usage error of /%s %q (%v), want /%s %q", in, ue.Command, ue.Sub, err, usage.cmd, usage.sub)
		}
		if ue.Err == nil {
			t.Errorf("%q: usage error %v does not say what is wrong", in, err)
		}
		for _, lang := range []Lang{Korean, English} {
			if u := ue.Usage(lang); u == "" {
				t.Errorf("%q: empty %s usage", in, lang)
			}
		}
		if !strings.HasPrefix(err.Error(), "bot: /"+string(usage.cmd)) {
			t.Errorf("%q: error %q does not start with the command", in, err)
		}
	}
}

// TestParseCommandBotUsername checks how the bot's own username is given
// and matched.
func TestParseCommandBotUsername(t *testing.T) {
	tests := []struct {
		name, in, bot string
		want          error
	}{
		{"Plain", "/status@moim_test_bot", "moim_test_bot", nil},
		{"WithAt", "/status@moim_test_bot", "@moim_test_bot", nil},
		{"MixedCase", "/status@moim_test_bot", "Moim_Test_Bot", nil},
		{"TypedMixedCase", "/status@Moim_Test_BOT", "moim_test_bot", nil},
		{"NoUsernameNoBot", "/status", "", nil},
		{"NoUsernameAddressed", "/status@moim_test_bot", "", ErrOtherBot},
		{"Other", "/status@otherbot", "@moim_test_bot", ErrOtherBot},
		{"OtherUnknownBeforeUsage", "/nope@otherbot", "moim_test_bot", ErrOtherBot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCommand(tt.in, tt.bot)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("ParseCommand(%q, %q) error %v, want %v", tt.in, tt.bot, err, tt.want)
			}
			if tt.want == nil && got.Name != CmdStatus {
				t.Errorf("ParseCommand(%q, %q) = %v, want /status", tt.in, tt.bot, got)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Command
	}{
		{"Empty", "", Command{Name: CmdHelp}},
		{"Spaces", "  \n", Command{Name: CmdHelp}},
		{"Status", "status 2026-11", Command{Name: CmdStatus, Month: cmdNov26}},
		{"Korean", "현황 11월", Command{Name: CmdStatus, MonthOfYear: time.November}},
		{"LeadingSlash", "/status", Command{Name: CmdStatus}},
		{"UpperCase", "STATUS", Command{Name: CmdStatus}},
		{"Dues", "회비 3만 25", Command{Name: CmdDues, Amount: 30000, DueDay: 25}},
		{"Member", `member add "Kim Minsu" 30000`, Command{Name: CmdMember, Sub: SubAdd, Member: "Kim Minsu", Amount: 30000}},
		{"Treasurer", "treasurer add <@U0123ABC|minsu>", Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{ID: "U0123ABC"}}},
		{"Start", "start abc", Command{Name: CmdHelp, Payload: "abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.in)
			if err != nil {
				t.Fatalf("ParseArgs(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseArgs(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}

	errorTests := []struct {
		name  string
		in    string
		is    error
		usage *usageWant
	}{
		{name: "Unknown", in: "frobnicate", is: ErrUnknownCommand},
		{name: "SlashAlone", in: "/", is: ErrUnknownCommand},
		{name: "BotSuffix", in: "status@moim_test_bot", is: ErrUnknownCommand},
		{name: "BadArgs", in: "dues abc", usage: &usageWant{CmdDues, ""}},
		{name: "MemberSub", in: "멤버 추가", usage: &usageWant{CmdMember, SubAdd}},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.in)
			if err == nil {
				t.Fatalf("ParseArgs(%q) = %v, want an error", tt.in, got)
			}
			checkParseError(t, tt.in, err, tt.is, tt.usage)
		})
	}
}

// TestCommandString checks the canonical rendering, and that every
// parseTests command renders to text that parses back to it.
func TestCommandString(t *testing.T) {
	tests := []struct {
		c    Command
		want string
	}{
		{Command{Name: CmdHelp}, "/help"},
		{Command{Name: CmdHelp, Topic: CmdDues}, "/help dues"},
		{Command{Name: CmdHelp, Payload: "abc"}, "/start abc"},
		{Command{Name: CmdSetup, Group: "우리 독서 모임"}, "/setup 우리 독서 모임"},
		{Command{Name: CmdDues, Amount: 30000, DueDay: 25}, "/dues 30000 25"},
		{Command{Name: CmdMember, Sub: SubAdd, Member: "Kim Minsu", Amount: 30000, Aliases: []string{"KIMMINSU", "1004"}},
			`/member add "Kim Minsu" 30000 KIMMINSU "1004"`},
		{Command{Name: CmdMember, Sub: SubExempt, Member: "정하늘"}, "/member exempt 정하늘 off"},
		{Command{Name: CmdStatus, Month: cmdNov26}, "/status 2026-11"},
		{Command{Name: CmdStatus, MonthOfYear: time.November}, "/status Nov"},
		{Command{Name: CmdPaid, Member: "3만", Amount: 30000}, `/paid "3만" 30000`},
		{Command{Name: CmdMember, Sub: SubAlias, Member: "김", Aliases: []string{"만원", "만수"}}, `/member alias 김 "만원" 만수`},
		{Command{Name: CmdTreasurer, Sub: SubRemove, User: Mention{Username: "minsu_kim"}}, "/treasurer remove @minsu_kim"},
		{Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{ID: "U0123ABC"}}, "/treasurer add <@U0123ABC>"},
		{Command{Name: CmdTreasurer, Sub: SubAdd, User: Mention{ID: "123456789"}}, "/treasurer add 123456789"},
		{Command{Name: CmdSettings, Setting: SettingRemindDays, Days: []int{-3, 0, 3}}, "/settings remind_days -3,0,3"},
		{Command{Name: CmdSettings, Setting: SettingRemindTime, Hour: 9, Minute: 5}, "/settings remind_time 9:05"},
		{Command{Name: CmdSettings, Setting: SettingLanguage, Lang: English}, "/settings language en"},
		{Command{Name: CmdSettings, Setting: SettingReminders, On: true}, "/settings reminders on"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.c, got, tt.want)
		}
	}
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.want.String()
			got, err := ParseCommand(text, cmdBot)
			if err != nil {
				t.Fatalf("ParseCommand(%q) error: %v", text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCommand(%q)\n got %#v\nwant %#v", text, got, tt.want)
			}
		})
	}
}

func TestMonthAt(t *testing.T) {
	tests := []struct {
		c    Command
		ref  ledger.Period
		want ledger.Period
	}{
		{Command{Name: CmdStatus}, cmdNov26, cmdNov26},
		{Command{Name: CmdStatus, Month: ledger.NewPeriod(2025, time.March)}, cmdNov26, ledger.NewPeriod(2025, time.March)},
		{Command{Name: CmdStatus, MonthOfYear: time.November}, cmdNov26, cmdNov26},
		{Command{Name: CmdStatus, MonthOfYear: time.October}, cmdNov26, ledger.NewPeriod(2026, time.October)},
		{Command{Name: CmdStatus, MonthOfYear: time.May}, cmdNov26, ledger.NewPeriod(2026, time.May)},
		{Command{Name: CmdStatus, MonthOfYear: time.April}, cmdNov26, ledger.NewPeriod(2027, time.April)},
		{Command{Name: CmdStatus, MonthOfYear: time.January}, cmdNov26, ledger.NewPeriod(2027, time.January)},
		{Command{Name: CmdStatus, MonthOfYear: time.December}, ledger.NewPeriod(2027, time.January), ledger.NewPeriod(2026, time.December)},
		{Command{Name: CmdStatus, MonthOfYear: time.July}, ledger.NewPeriod(2027, time.January), ledger.NewPeriod(2026, time.July)},
		{Command{Name: CmdStatus, MonthOfYear: time.June}, ledger.NewPeriod(2027, time.January), ledger.NewPeriod(2027, time.June)},
	}
	for _, tt := range tests {
		if got := tt.c.MonthAt(tt.ref); got != tt.want {
			t.Errorf("%v.MonthAt(%v) = %v, want %v", tt.c, tt.ref, got, tt.want)
		}
	}
	// Every month of the year resolves to the window [ref-6, ref+5].
	for ref := ledger.NewPeriod(2026, time.January); ref <= ledger.NewPeriod(2027, time.December); ref++ {
		for m := time.January; m <= time.December; m++ {
			got := Command{MonthOfYear: m}.MonthAt(ref)
			if got.Month() != m || got < ref-6 || got > ref+5 {
				t.Errorf("MonthOfYear %v at %v = %v, want %v in [%v, %v]", m, ref, got, m, ref-6, ref+5)
			}
		}
	}
}

func TestParseWon(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"30000", 30000},
		{"30,000", 30000},
		{"30,000원", 30000},
		{"30000 원", 30000},
		{"₩30,000", 30000},
		{"￦30,000", 30000},
		{`\30000`, 30000},
		{"30000won", 30000},
		{"30,000 WON", 30000},
		{"３００００", 30000},
		{"３０，０００원", 30000},
		{"1,000,000", 1_000_000},
		{"3만", 30000},
		{"3만원", 30000},
		{"3 만 원", 30000},
		{"만원", 10000},
		{"만 원", 10000},
		{"3.5만", 35000},
		{"0.5만", 5000},
		{"1.25만", 12500},
		{"1만5천", 15000},
		{"1만 5천원", 15000},
		{"1만5000", 15000},
		{"1만 5,000원", 15000},
		{"1만5천500", 15500},
		{"5천", 5000},
		{"천원", 1000},
		{"5백", 500},
		{"3천5백", 3500},
		{"3십만", 300000},
		{"십만원", 100000},
		{"3천만", 30_000_000},
		{"3천5백만", 35_000_000},
		{"3천5만", 30_050_000},
		{"1.5천만", 15_000_000},
		{"1억", 100_000_000},
		{"0.5억", 50_000_000},
		{"9999만9999", 99_999_999},
		{"2.5k", 2500},
		{"30k", 30000},
		{"30000.0", 30000},
		{" 30000 ", 30000},
		{"1", 1},
		{"100,000,000", MaxAmount},
		{"0.00000001억", 1},
		{"2.5백", 250},
	}
	for _, tt := range tests {
		got, err := ParseWon(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseWon(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	errorTests := []struct {
		in   string
		want error // a sentinel, or nil for any other error
	}{
		{"", nil},
		{" ", nil},
		{"원", nil},
		{"₩", nil},
		{"abc", nil},
		{"30000원원", nil},
		{"3만x", nil},
		{"30 000", nil},
		{"3,0000", nil},
		{"30,00", nil},
		{",300", nil},
		{"300,", nil},
		{"1,5만", nil},
		{"030000", nil},
		{"00", nil},
		{"3.만", nil},
		{".5만", nil},
		{"3.5.5만", nil},
		{"+30000", nil},
		{"-", nil},
		{"-abc", nil},
		{"30000-", nil},
		{"만만", nil},
		{"1만2만", nil},
		{"3백5천", nil},
		{"3천5000", nil},
		{"3천5000만", nil},
		{"1만15000", nil},
		{"1천2.5만", nil},
		{"3e4", nil},
		{"0x7530", nil},
		{"1.000000001억", nil},
		{"삼만", nil},
		{"３만\xff", nil},
		{"0", ErrAmountZero},
		{"0원", ErrAmountZero},
		{"0만", ErrAmountZero},
		{"0.0", ErrAmountZero},
		{"-30000", ErrAmountNegative},
		{"−3만", ErrAmountNegative},
		{"-0", nil},
		{"30000.5", ErrAmountFraction},
		{"3.33333만", ErrAmountFraction},
		{"1.00000001억", ErrAmountTooLarge},
		{"0.5", ErrAmountFraction},
		{"100,000,001", ErrAmountTooLarge},
		{"1억1", ErrAmountTooLarge},
		{"1억 5천만", ErrAmountTooLarge},
		{"2억", ErrAmountTooLarge},
		{"1.5억", ErrAmountTooLarge},
		{"10001만", ErrAmountTooLarge},
		{"99999999999999999999999999", ErrAmountTooLarge},
		{"9223372036854775808", ErrAmountTooLarge},
		{"9,223,372,036,854,775,807", ErrAmountTooLarge},
		{"99999999999999999.9만", ErrAmountTooLarge},
	}
	for _, tt := range errorTests {
		got, err := ParseWon(tt.in)
		if err == nil {
			t.Errorf("ParseWon(%q) = %d, want an error", tt.in, got)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("ParseWon(%q) error %v, want %v", tt.in, err, tt.want)
		}
		if !strings.HasPrefix(err.Error(), "bot: amount ") {
			t.Errorf("ParseWon(%q) error %q lacks the operation prefix", tt.in, err)
		}
	}
}

// TestParseWonFormatted checks that ParseWon reads what Won writes.
func TestParseWonFormatted(t *testing.T) {
	for _, n := range []int64{1, 999, 1000, 30000, 1_234_567, MaxAmount} {
		for _, lang := range []Lang{Korean, English} {
			s := Won(lang, n)
			if got, err := ParseWon(s); got != n || err != nil {
				t.Errorf("ParseWon(%q) = %d, %v; want %d", s, got, err, n)
			}
		}
	}
}

func TestUsage(t *testing.T) {
	exact := []struct {
		name CommandName
		lang Lang
		want string
	}{
		{CmdDues, Korean, "사용법: /회비 <금액> [마감일] — 예: /회비 30000 25"},
		{CmdDues, English, "Usage: /dues <amount> [due day] — e.g. /dues 30000 25"},
		{CmdSync, Korean, "사용법: /동기화"},
		{CmdSync, English, "Usage: /sync"},
		{CmdStatus, Korean, "사용법: /현황 [연-월] — 예: /현황 2026-11"},
		{CmdPaid, English, "Usage: /paid <name> <amount> [year-month] — e.g. /paid Minsu 30000 2026-11\n" +
			`Quote names with spaces: "Kim Minsu"`},
		{CmdTreasurer, Korean, "사용법:\n/총무 추가 [@사용자 또는 그 사람의 메시지에 답장] — 예: /총무 추가 @minsu_kim\n/총무 삭제 [@사용자 또는 그 사람의 메시지에 답장] — 예: /총무 삭제 @minsu_kim"},
		{"nope", Korean, ""},
	}
	for _, tt := range exact {
		if got := Usage(tt.name, tt.lang); got != tt.want {
			t.Errorf("Usage(%q, %q) = %q, want %q", tt.name, tt.lang, got, tt.want)
		}
	}

	for _, s := range commandSpecs {
		ko, en := Usage(s.name, Korean), Usage(s.name, English)
		if !strings.HasPrefix(ko, "사용법:") || !strings.Contains(ko, "/"+s.korean) || strings.Contains(ko, "Usage") || strings.Contains(ko, "e.g.") {
			t.Errorf("Usage(%q, Korean) = %q", s.name, ko)
		}
		if !strings.HasPrefix(en, "Usage:") || !strings.Contains(en, "/"+string(s.name)) || strings.Contains(en, "사용법") || strings.Contains(en, "예:") {
			t.Errorf("Usage(%q, English) = %q", s.name, en)
		}
		if s.names != strings.Contains(ko, "따옴표") || s.names != strings.Contains(en, "Quote") {
			t.Errorf("Usage(%q) says how to quote names: %v, want %v", s.name, !s.names, s.names)
		}
		if got := UsageWith("/moim ", s.name, "", English); !strings.Contains(got, "/moim "+string(s.name)) {
			t.Errorf("UsageWith(/moim, %q, English) = %q", s.name, got)
		}
	}

	narrow := []struct {
		name CommandName
		sub  string
		lang Lang
		want string
	}{
		{CmdSettings, string(SettingLanguage), English, "Usage: /settings language ko|en"},
		{CmdSettings, string(SettingDueDay), Korean, "사용법: /설정 마감일 <1–31|말일> — 예: /설정 마감일 25"},
		{CmdMember, SubRemove, Korean, "사용법: /멤버 삭제 <이름> — 예: /멤버 삭제 김민수\n" + `띄어 쓴 이름은 따옴표로 감싸 주세요: "김 민수"`},
		{CmdDues, "", English, "Usage: /dues <amount> [due day] — e.g. /dues 30000 25"},
		{CmdDues, "nope", English, "Usage: /dues <amount> [due day] — e.g. /dues 30000 25"},
	}
	for _, tt := range narrow {
		if got := UsageWith("/", tt.name, tt.sub, tt.lang); got != tt.want {
			t.Errorf("UsageWith(/, %q, %q, %q) = %q, want %q", tt.name, tt.sub, tt.lang, got, tt.want)
		}
	}
	if got, want := UsageWith("/moim ", CmdDues, "", English), "Usage: /moim dues <amount> [due day] — e.g. /moim dues 30000 25"; got != want {
		t.Errorf("Slack usage = %q, want %q", got, want)
	}
	ue := &UsageError{Command: CmdSettings, Sub: string(SettingRemindTime)}
	if got, want := ue.Usage(English), "Usage: /settings remind_time <hh:mm> — e.g. /settings remind_time 10:00"; got != want {
		t.Errorf("UsageError.Usage = %q, want %q", got, want)
	}
}

// TestUsageExamples checks that every usage line's example, and every
// usage line without arguments, is a valid command in both languages.
func TestUsageExamples(t *testing.T) {
	for _, s := range commandSpecs {
		for _, f := range s.forms {
			for l, cmd := range []string{s.korean, string(s.name)} {
				text := "/" + cmd
				if f.sub != "" {
					text += " " + f.word[l]
				}
				switch {
				case f.example[l] != "":
					text += " " + f.example[l]
				case f.args[l] != "" && !strings.HasPrefix(f.args[l], "["):
					continue // a required argument without an example
				}
				c, err := ParseCommand(text, cmdBot)
				if err != nil {
					t.Errorf("example %q: %v", text, err)
					continue
				}
				if c.Name != s.name || f.sub != "" && c.Sub != f.sub && string(c.Setting) != f.sub {
					t.Errorf("example %q parses to %v", text, c)
				}
			}
		}
	}
}

var telegramCommand = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func TestHelpCommands(t *testing.T) {
	all := []CommandName{CmdHelp, CmdSetup, CmdLink, CmdDues, CmdMember, CmdMembers, CmdStatus, CmdUnpaid,
		CmdPaid, CmdReview, CmdRemind, CmdHistory, CmdIAm, CmdTreasurer, CmdSettings, CmdSync, CmdExport}
	for _, lang := range []Lang{Korean, English} {
		entries := HelpCommands(lang, RoleTreasurer, PlaceAny)
		if len(entries) != len(all) {
			t.Errorf("HelpCommands(%s, treasurer, any) has %d commands, want %d", lang, len(entries), len(all))
		}
		seen := map[CommandName]bool{}
		korean := map[string]bool{}
		for _, e := range entries {
			if seen[e.Name] {
				t.Errorf("%s listed twice", e.Name)
			}
			seen[e.Name] = true
			if korean[e.Korean] {
				t.Errorf("Korean name %s used twice", e.Korean)
			}
			korean[e.Korean] = true
			if !telegramCommand.MatchString(string(e.Name)) {
				t.Errorf("%q is not a valid Telegram command", e.Name)
			}
			if n := utf8.RuneCountInString(e.Description); n < 1 || n > 256 || strings.ContainsAny(e.Description, "\n") {
				t.Errorf("%s: description %q is not one line of 1..256 characters", e.Name, e.Description)
			}
			if e.Usage != Usage(e.Name, lang) {
				t.Errorf("%s: usage %q, want Usage's", e.Name, e.Usage)
			}
			if e.Where&PlaceAny == 0 || e.Who < RoleAnyone || e.Who > RoleTreasurer {
				t.Errorf("%s: who %v, where %v", e.Name, e.Who, e.Where)
			}
			for _, w := range []string{string(e.Name), e.Korean} {
				if s, ok := lookupCommand(w); !ok || s.name != e.Name {
					t.Errorf("/%s does not call %s", w, e.Name)
				}
			}
		}
		for _, n := range all {
			if !seen[n] {
				t.Errorf("HelpCommands(%s) lacks %s", lang, n)
			}
		}
	}

	names := func(entries []HelpEntry) []string {
		var out []string
		for _, e := range entries {
			out = append(out, string(e.Name))
		}
		return out
	}
	scopes := []struct {
		who   Role
		where Place
		want  string
	}{
		{RoleAnyone, PlaceGroup, "help status unpaid iam members setup"},
		{RoleMember, PlaceGroup, "help status unpaid history iam members setup"},
		{RoleAnyone, PlaceDM, "help status members"},
		{RoleTreasurer, PlaceDM, "help status history members link dues member paid review settings sync export"},
		{RoleTreasurer, PlaceGroup, "help status unpaid history iam members setup link dues member paid remind treasurer settings sync export"},
	}
	for _, tt := range scopes {
		if got := strings.Join(names(HelpCommands(English, tt.who, tt.where)), " "); got != tt.want {
			t.Errorf("HelpCommands(en, %v, %v) = %s, want %s", tt.who, tt.where, got, tt.want)
		}
	}
	if got := HelpCommands(Korean, RoleAnyone, PlaceGroup)[0].Description; got != "명령어 안내" {
		t.Errorf("Korean help description = %q", got)
	}
}

// TestCommandWords checks that no word calls two commands, and that
// subcommand and setting words do not shadow each other within a command.
func TestCommandWords(t *testing.T) {
	words := map[string]CommandName{}
	for _, s := range commandSpecs {
		for _, w := range append([]string{string(s.name), s.korean}, s.words...) {
			if other, ok := words[normWord(w)]; ok {
				t.Errorf("word %q calls %s and %s", w, other, s.name)
			}
			words[normWord(w)] = s.name
		}
	}
	if len(specByWord) != len(words) {
		t.Errorf("specByWord has %d words, want %d", len(specByWord), len(words))
	}
}

// TestUsageErrorText checks what a usage error says, for logs.
func TestUsageErrorText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/dues abc", `bot: /dues: amount "abc": not an amount`},
		{"/dues 2억", `bot: /dues: amount "2억": amount is over 100,000,000 won`},
		{"/member add", "bot: /member add: missing argument"},
		{"/settings language fr", `bot: /settings language: language "fr" is not ko or en`},
		{`/iam "김`, "bot: /iam: quote not closed"},
	}
	for _, tt := range tests {
		_, err := ParseCommand(tt.in, cmdBot)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseCommand(%q) error %v, want %s", tt.in, err, tt.want)
		}
	}
	_, err := ParseCommand("/dues 2억", cmdBot)
	if !errors.Is(err, ErrAmountTooLarge) {
		t.Errorf("error %v does not wrap ErrAmountTooLarge", err)
	}
}

func TestRoleAndPlaceString(t *testing.T) {
	for v, want := range map[Role]string{RoleAnyone: "anyone", RoleMember: "member", RoleTreasurer: "treasurer", 7: "Role(7)"} {
		if got := v.String(); got != want {
			t.Errorf("Role(%d).String() = %q, want %q", int(v), got, want)
		}
	}
	for v, want := range map[Place]string{PlaceGroup: "group", PlaceDM: "dm", PlaceAny: "any", 0: "Place(0)"} {
		if got := v.String(); got != want {
			t.Errorf("Place(%d).String() = %q, want %q", int(v), got, want)
		}
	}
	if got := (Mention{}).String(); got != "" {
		t.Errorf("Mention{}.String() = %q", got)
	}
}
