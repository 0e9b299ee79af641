package bot

import "fmt"

// ReplyKey names a short reply to a chat command.
type ReplyKey string

// The replies to chat commands. Each takes the arguments its text names.
const (
	ReplyNoGroup         ReplyKey = "no_group"         // this chat has no group yet
	ReplyNotTreasurer    ReplyKey = "not_treasurer"    // a treasurer's command from someone else
	ReplyGroupOnly       ReplyKey = "group_only"       // a group command in a DM
	ReplyUnknownCommand  ReplyKey = "unknown_command"  // %s: the word typed
	ReplyNotYet          ReplyKey = "not_yet"          // %s: the command, not built yet
	ReplyNoMember        ReplyKey = "no_member"        // %s: the name typed
	ReplyAmbiguous       ReplyKey = "ambiguous_member" // %s: the name typed
	ReplyMemberAdded     ReplyKey = "member_added"     // %s: name, %s: dues
	ReplyMemberRemoved   ReplyKey = "member_removed"   // %s: name
	ReplyMemberLeft      ReplyKey = "member_left"      // %s: name, %s: the last month owed
	ReplyMemberExists    ReplyKey = "member_exists"    // %s: name
	ReplyAliasesAdded    ReplyKey = "aliases_added"    // %s: name, %s: aliases
	ReplyExempt          ReplyKey = "exempt"           // %s: name
	ReplyNotExempt       ReplyKey = "not_exempt"       // %s: name
	ReplyMembers         ReplyKey = "members"          // %d: count, %s: the list
	ReplyDuesSet         ReplyKey = "dues_set"         // %s: amount, %d: due day
	ReplyPaidRecorded    ReplyKey = "paid_recorded"    // %s: name, %s: amount
	ReplyNothingToReview ReplyKey = "nothing_to_review"
	ReplyReviewSent      ReplyKey = "review_sent" // %d: deposits
	ReplyNobodyOwes      ReplyKey = "nobody_owes" // %s: month
	ReplySyncQueued      ReplyKey = "sync_done"   // %d: new transactions
	ReplyNoAccount       ReplyKey = "no_account"
	ReplySettings        ReplyKey = "settings" // %s: language, %d: due day, %s: reminders
	ReplySettingChanged  ReplyKey = "setting_changed"
	ReplyTapDone         ReplyKey = "tap_done" // %s: member name
	ReplyTapIgnored      ReplyKey = "tap_ignored"
	ReplyTapAlready      ReplyKey = "tap_already" // the deposit was decided before
	ReplyTapDecided      ReplyKey = "tap_decided" // %s: outcome, %s: who decided
	ReplyTapPick         ReplyKey = "tap_pick"
	ReplyFailed          ReplyKey = "failed"
)

var replies = map[ReplyKey][2]string{
	ReplyNoGroup:         {"이 채팅방에는 아직 모임이 없어요. 총무님이 /setup 으로 만들 수 있어요.", "This chat has no group yet. The treasurer can create one with /setup."},
	ReplyNotTreasurer:    {"총무만 할 수 있는 명령이에요. 바뀐 것은 없어요.", "Only a treasurer can do that; nothing was changed."},
	ReplyGroupOnly:       {"모임 단톡방에서 써 주세요.", "Please use this in the group chat."},
	ReplyUnknownCommand:  {"모르는 명령이에요: %s. /help 로 명령을 볼 수 있어요.", "Unknown command: %s. /help lists the commands."},
	ReplyNotYet:          {"/%s 은(는) 아직 준비 중이에요.", "/%s is not available yet."},
	ReplyNoMember:        {"명단에 %q 님이 없어요. /members 로 명단을 볼 수 있어요.", "No member named %q; /members lists the roster."},
	ReplyAmbiguous:       {"%q 님이 명단에 여러 명 있어요. 회원 번호(m01 등)로 적어 주세요.", "Several members are named %q; use the member id (m01, …)."},
	ReplyMemberAdded:     {"✅ %s님을 명단에 추가했어요 (월 %s).", "✅ Added %s to the roster (%s a month)."},
	ReplyMemberRemoved:   {"✅ %s님을 명단에서 뺐어요.", "✅ Removed %s from the roster."},
	ReplyMemberLeft:      {"✅ %s님은 입금 기록이 있어 %s까지 낸 것으로 두고 탈퇴 처리했어요.", "✅ %s has payments on record: marked as left after %s."},
	ReplyMemberExists:    {"%s님은 이미 명단에 있어요.", "%s is already on the roster."},
	ReplyAliasesAdded:    {"✅ %s님의 별칭: %s", "✅ Aliases of %s: %s"},
	ReplyExempt:          {"✅ %s님은 이제 회비 면제예요.", "✅ %s is now exempt from dues."},
	ReplyNotExempt:       {"✅ %s님은 이제 회비를 내요.", "✅ %s owes dues again."},
	ReplyMembers:         {"👥 회원 %d명\n%s", "👥 %d members\n%s"},
	ReplyDuesSet:         {"✅ 회비를 매월 %s, 마감 %d일로 정했어요.", "✅ Dues set to %s a month, due on day %d."},
	ReplyPaidRecorded:    {"✅ %s님이 현금으로 낸 %s을 기록했어요.", "✅ Recorded %[2]s paid in cash by %[1]s."},
	ReplyNothingToReview: {"확인할 입금이 없어요.", "Nothing to review."},
	ReplyReviewSent:      {"확인할 입금 %d건을 DM으로 보냈어요.", "Sent %d deposits to review by DM."},
	ReplyNobodyOwes:      {"%s 회비를 안 낸 사람이 없어요 🎉", "Everyone has paid %s 🎉"},
	ReplySyncQueued:      {"🔄 은행 내역을 읽었어요: 새 거래 %d건.", "🔄 Read the bank: %d new transactions."},
	ReplyNoAccount:       {"연결된 은행 계좌가 없어요.", "No bank account is linked."},
	ReplySettings:        {"⚙️ 설정\n언어: %s\n마감일: 매월 %d일\n알림: %s", "⚙️ Settings\nLanguage: %s\nDue day: %d\nReminders: %s"},
	ReplySettingChanged:  {"✅ 설정을 바꿨어요.", "✅ Setting changed."},
	ReplyTapDone:         {"%s님으로 처리했어요", "Assigned to %s"},
	ReplyTapIgnored:      {"회비 아님으로 처리했어요", "Marked as not dues"},
	ReplyTapAlready:      {"이미 처리된 입금이에요", "Already decided"},
	ReplyTapDecided:      {"✅ %s (%s)", "✅ %s (%s)"},
	ReplyTapPick:         {"누구의 입금인가요?", "Whose deposit is it?"},
	ReplyFailed:          {"처리하지 못했어요. 잠시 뒤에 다시 해 주세요.", "That did not work; please try again in a moment."},
}

// Reply renders a reply to a chat command in lang.
func Reply(lang Lang, key ReplyKey, args ...any) string {
	t, ok := replies[key]
	if !ok {
		return string(key)
	}
	f := t[0]
	if lang == English {
		f = t[1]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}
