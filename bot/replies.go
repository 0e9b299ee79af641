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

	ReplyGroupCreated      ReplyKey = "group_created"  // %s: group, %s: treasurer
	ReplyGroupExists       ReplyKey = "group_exists"   // %s: group
	ReplyLinkSent          ReplyKey = "link_sent"      // the link went by DM
	ReplyLinkDM            ReplyKey = "link_dm"        // %s: group, %s: URL
	ReplyLinkOff           ReplyKey = "link_off"       // no public URL
	ReplyLinkPick          ReplyKey = "link_pick"      // %s: group
	ReplyLinkCancelled     ReplyKey = "link_cancelled" // %s: group
	ReplyLinkFailed        ReplyKey = "link_failed"    // %s: group
	ReplyLinked            ReplyKey = "linked"         // %s: group, %s: bank account
	ReplyLinkGone          ReplyKey = "link_gone"
	ReplyLinkElsewhere     ReplyKey = "link_elsewhere"
	ReplyNotDuesButton     ReplyKey = "not_dues_button"
	ReplyMemberAlreadyLeft ReplyKey = "member_already_left" // %s: name, %s: last month owed
	ReplyNoDuesYet         ReplyKey = "no_dues_yet"
	ReplyCredit            ReplyKey = "credit"
	ReplyPaidOldestFirst   ReplyKey = "paid_oldest_first" // %s: the month named
	ReplyManyGroups        ReplyKey = "many_groups"       // %s: the groups
	ReplySyncBudget        ReplyKey = "sync_budget"
	ReplyRemoved           ReplyKey = "removed"     // %s: chat title, %s: group
	ReplyReattached        ReplyKey = "reattached"  // %s: group
	ReplyNotStarted        ReplyKey = "not_started" // %s: treasurer, %s: t.me link

	// /iam and the treasurer's confirmation.
	ReplyIAmAsked       ReplyKey = "iam_asked"        // %s: member name
	ReplyIAmAlready     ReplyKey = "iam_already"      // %s: member name
	ReplyIAmNoTreasurer ReplyKey = "iam_no_treasurer" // no treasurer on the user's platform
	ReplyIAmUnsupported ReplyKey = "iam_unsupported"  // the ids do not fit a button
	ReplyIAmConfirm     ReplyKey = "iam_confirm"      // %s: group, %s: who, %s: user id, %s: member name, %s: member id
	ReplyIAmRequest     ReplyKey = "iam_request"      // %s: group, %s: user id, %s: member name, %s: member id
	ReplyIAmYes         ReplyKey = "iam_yes"          // button
	ReplyIAmNo          ReplyKey = "iam_no"           // button
	ReplyIAmLinked      ReplyKey = "iam_linked"       // %s: member name; to the group
	ReplyIAmLinkedTap   ReplyKey = "iam_linked_tap"   // %s: member name; the tap's notice
	ReplyIAmDeclined    ReplyKey = "iam_declined"

	// /history.
	ReplyHistoryNotLinked ReplyKey = "history_not_linked"
	ReplyHistoryOthers    ReplyKey = "history_others"
	ReplyHistoryHead      ReplyKey = "history_head"    // %s: member name, %s: the month it is as of
	ReplyHistoryMonth     ReplyKey = "history_month"   // %d: year, %d: month, %s: English month name
	ReplyHistoryPaid      ReplyKey = "history_paid"    // a month paid in full
	ReplyHistoryPartial   ReplyKey = "history_partial" // %s: paid, %s: due
	ReplyHistoryUnpaid    ReplyKey = "history_unpaid"  // a month not paid
	ReplyHistoryExempt    ReplyKey = "history_exempt"  // a month the member owes nothing
	ReplyHistoryAhead     ReplyKey = "history_ahead"   // %s: paid in advance for a later month
	ReplyHistoryDeposits  ReplyKey = "history_deposits"
	ReplyHistoryNone      ReplyKey = "history_none"
	ReplyHistoryCash      ReplyKey = "history_cash"   // after a payment the treasurer recorded
	ReplyHistoryMore      ReplyKey = "history_more"   // %d: lines left out
	ReplyHistoryOwes      ReplyKey = "history_owes"   // %s: amount in arrears
	ReplyHistoryCredit    ReplyKey = "history_credit" // %s: credit kept

	// /treasurer.
	ReplyTreasurerAdded    ReplyKey = "treasurer_added"     // %s: the user as typed
	ReplyTreasurerRemoved  ReplyKey = "treasurer_removed"   // %s: the user as typed
	ReplyTreasurerExists   ReplyKey = "treasurer_exists"    // %s: the user as typed
	ReplyTreasurerNotFound ReplyKey = "treasurer_not_found" // %s: the user as typed
	ReplyTreasurerLast     ReplyKey = "treasurer_last"
	ReplyTreasurerMainOnly ReplyKey = "treasurer_main_only"
	ReplyTreasurerUsername ReplyKey = "treasurer_username" // %s: the username typed

	// /export.
	ReplyExportCaption ReplyKey = "export_caption" // %s: group, %s: month
	ReplyExportSent    ReplyKey = "export_sent"
	ReplyExportTooBig  ReplyKey = "export_too_big" // %d: KiB
	ReplyExportNoFiles ReplyKey = "export_no_files"

	// /unpaid's mentions of the members linked with /iam.
	ReplyUnpaidMentions ReplyKey = "unpaid_mentions" // %s: the mentions

	// A bank statement file sent to the bot.
	ReplyImportNotTreasurer ReplyKey = "import_not_treasurer"
	ReplyImportInDM         ReplyKey = "import_in_dm"
	ReplyImportType         ReplyKey = "import_type"     // %s: the file name
	ReplyImportTooBig       ReplyKey = "import_too_big"  // %d: the limit in MiB
	ReplyImportNoFiles      ReplyKey = "import_no_files" // the platform cannot fetch files
	ReplyImportFetch        ReplyKey = "import_fetch"
	ReplyImportPickGroup    ReplyKey = "import_pick_group"
	ReplyImportPassword     ReplyKey = "import_password"
	ReplyImportWrongPass    ReplyKey = "import_wrong_password" // %d: tries left
	ReplyImportGaveUp       ReplyKey = "import_gave_up"
	ReplyImportExpired      ReplyKey = "import_expired"
	ReplyImportUnreadable   ReplyKey = "import_unreadable" // %s: what the reader said
	ReplyImportOldXLS       ReplyKey = "import_old_xls"
	ReplyImportAccount      ReplyKey = "import_account"     // %s: group
	ReplyImportNothingNew   ReplyKey = "import_nothing_new" // %s: group, %d: rows, %s: period
	ReplyStatementOnly      ReplyKey = "statement_only"
)

var replies = map[ReplyKey][2]string{
	ReplyNoGroup:         {"이 채팅방에는 아직 모임이 없어요. 총무님이 /setup 으로 만들 수 있어요.", "This chat has no group yet. The treasurer can create one with /setup."},
	ReplyNotTreasurer:    {"총무만 할 수 있는 명령이에요. 바뀐 것은 없어요.", "Only a treasurer can do that; nothing was changed."},
	ReplyGroupOnly:       {"모임 단톡방에서 써 주세요.", "Please use this in the group chat."},
	ReplyUnknownCommand:  {"모르는 명령이에요: %s. /help 로 명령을 볼 수 있어요.", "Unknown command: %s. /help lists the commands."},
	ReplyNoMember:        {"명단에 %q 님이 없어요. /members 로 명단을 볼 수 있어요.", "No member named %q; /members lists the roster."},
	ReplyAmbiguous:       {"%q 님이 명단에 여러 명 있어요. 회원 번호(m01 등)로 적어 주세요.", "Several members are named %q; use the member id (m01, …)."},
	ReplyMemberAdded:     {"✅ %s님을 명단에 추가했어요 (월 %s).", "✅ Added %s to the roster (%s a month)."},
	ReplyMemberRemoved:   {"✅ %s님을 명단에서 뺐어요.", "✅ Removed %s from the roster."},
	ReplyMemberLeft:      {"✅ %s님은 입금 기록이 있어 명단에 남기고, %s까지 회비를 내는 것으로 탈퇴 처리했어요.", "✅ %s has payments on record: kept on the books, owing dues up to %s."},
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

	ReplyGroupCreated:      {"✅ 모임 %q을(를) 만들었어요. 총무: %s\n다음 순서: /dues 30000 25 로 회비를 정하고, /member add 이름 으로 회원을 넣어 주세요. 은행 연결 링크는 DM으로 보냈어요.", "✅ Created the group %q. Treasurer: %s\nNext: set the dues with /dues 30000 25 and add members with /member add NAME. The bank link went to you by DM."},
	ReplyGroupExists:       {"이 채팅방에는 이미 모임 %q이(가) 있어요.", "This chat already has the group %q."},
	ReplyLinkSent:          {"🔗 은행 연결 링크를 DM으로 보냈어요.", "🔗 The bank link went to you by DM."},
	ReplyLinkDM:            {"🔗 %s 모임통장 연결\n%s\n30분 동안 한 번만 쓸 수 있어요. 금융결제원 동의 화면에서 모임통장을 골라 주세요.", "🔗 Link the %s group account\n%s\nValid once, for 30 minutes. Choose the group account on KFTC's consent page."},
	ReplyLinkOff:           {"이 moimbot은 웹 주소(MOIMBOT_PUBLIC_URL)가 없어 은행 연결을 할 수 없어요. moimbot serve 로 실행해 주세요.", "This moimbot has no public URL (MOIMBOT_PUBLIC_URL), so it cannot link a bank account; run it with moimbot serve."},
	ReplyLinkPick:          {"🏦 %s: 어느 계좌가 모임통장인가요?", "🏦 %s: which account is the group account?"},
	ReplyLinkCancelled:     {"%s: 은행 연결이 취소됐어요. 아무것도 연결되지 않았어요. 다시 하려면 /link", "%s: linking was cancelled; nothing was linked. To try again: /link"},
	ReplyLinkFailed:        {"%s: 은행 연결에 실패했어요. 아무것도 연결되지 않았어요. 잠시 뒤 /link 로 다시 해 주세요.", "%s: linking failed; nothing was linked. Please try /link again in a moment."},
	ReplyLinked:            {"🏦 %s: %s 계좌를 연결했어요. 이제 입금을 자동으로 확인해요.", "🏦 %s: linked %s. Deposits are now checked automatically."},
	ReplyLinkGone:          {"이 선택은 만료됐거나 이미 처리됐어요. /link 로 다시 해 주세요.", "This choice expired or was made already; use /link again."},
	ReplyLinkElsewhere:     {"이 계좌는 이미 다른 모임에 연결되어 있어요.", "This account is already linked to another group."},
	ReplyNotDuesButton:     {"회비 아님", "Not dues"},
	ReplyMemberAlreadyLeft: {"%s님은 이미 %s까지만 회비를 내는 것으로 탈퇴 처리돼 있어요.", "%s has left already, owing dues up to %s."},
	ReplyCredit:            {"적립금", "credit"},
	ReplyPaidOldestFirst:   {"현금도 은행 입금처럼 가장 오래된 미납 달부터 채워서, %s에는 가지 않았어요.", "Cash fills the oldest month owed first, as deposits do, so none of it went to %s."},
	ReplyNoDuesYet:         {"회비가 아직 정해지지 않았어요. 총무님이 /dues 30000 25 처럼 정해 주세요.", "The dues are not set yet; the treasurer sets them with /dues 30000 25."},
	ReplyManyGroups:        {"여러 모임의 총무시네요(%s). 이 명령은 해당 모임 단톡방에서 보내 주세요.", "You are a treasurer of several groups (%s); please send this in that group's chat."},
	ReplySyncBudget:        {"이번 달 은행 조회 횟수(계좌당 1,000회, 건마다 요금)가 거의 찼어요. 정해진 일정대로만 조회해요.", "This month's bank calls (1,000 per account, each billed) are nearly spent: moimbot reads the bank on its schedule only."},
	ReplyRemoved:           {"moimbot이 %q 채팅방에서 내보내졌어요. %s 모임의 알림은 이제 그곳에 올라가지 않아요. 봇을 다시 초대하고 그 방에서 /setup 을 보내면 이어서 올려요.", "moimbot was removed from %q. The %s group's posts no longer go there; add the bot back and send /setup in that chat to resume."},
	ReplyReattached:        {"✅ 이 채팅방을 다시 %q 모임의 단톡방으로 연결했어요.", "✅ This chat is the %q group's chat again."},
	ReplyNotStarted:        {"%s님, moimbot이 DM을 보낼 수 없어요. 먼저 봇과 1:1 대화를 시작해 주세요: %s", "%s, moimbot cannot send you direct messages yet. Please start a private chat with the bot first: %s"},

	ReplyIAmAsked:       {"🙋 총무님께 %s님이 맞는지 확인을 부탁했어요. 총무님이 확인하면 연결돼요.", "🙋 Asked the treasurer to confirm that you are %s; you are linked once they do."},
	ReplyIAmAlready:     {"이미 %s님으로 연결되어 있어요.", "Already linked to %s."},
	ReplyIAmNoTreasurer: {"이 메신저에는 확인해 줄 총무가 없어요. 총무님께 직접 말해 주세요.", "No treasurer on this chat platform can confirm it; please ask the treasurer."},
	ReplyIAmUnsupported: {"이 계정은 연결할 수 없어요 (ID가 너무 길어요). 총무님께 말해 주세요.", "This account cannot be linked (its id is too long); please ask the treasurer."},
	ReplyIAmConfirm:     {"🙋 %s\n%s (사용자 번호 %s) 님이 명단의 %s님(%s)이라고 해요. 맞나요?", "🙋 %s\n%s (user id %s) says they are %s (%s) on the roster. Is that right?"},
	ReplyIAmRequest:     {"🙋 %s\n사용자 번호 %s → %s님(%s)", "🙋 %s\nUser id %s → %s (%s)"},
	ReplyIAmYes:         {"✅ 맞아요", "✅ Confirm"},
	ReplyIAmNo:          {"❌ 아니에요", "❌ Decline"},
	ReplyIAmLinked:      {"✅ %s님의 채팅 계정을 명단과 연결했어요.", "✅ Linked %s's chat account to the roster."},
	ReplyIAmLinkedTap:   {"%s님으로 연결했어요", "Linked to %s"},
	ReplyIAmDeclined:    {"연결하지 않았어요", "Not linked"},

	ReplyHistoryNotLinked: {"누구의 내역인지 아직 몰라요. 단톡방에서 /나 <이름> 으로 명단의 내 이름과 연결해 주세요.", "I don't know who you are on the roster yet: link yourself with /iam <name> in the group chat."},
	ReplyHistoryOthers:    {"다른 분의 내역은 총무만 볼 수 있어요. 내 내역은 /내역 으로 볼 수 있어요.", "Only a treasurer can see someone else's history; /history shows yours."},
	ReplyHistoryHead:      {"📒 %s님의 회비 내역 (%s 기준)", "📒 Dues history of %s (as of %s)"},
	ReplyHistoryMonth:     {"%[1]d년 %[2]d월", "%[3]s %[1]d"},
	ReplyHistoryPaid:      {"완납", "paid"},
	ReplyHistoryPartial:   {"일부 납부 (%s / %s)", "partly paid (%s of %s)"},
	ReplyHistoryUnpaid:    {"미납", "unpaid"},
	ReplyHistoryExempt:    {"면제", "exempt"},
	ReplyHistoryAhead:     {"선납 %s", "%s paid ahead"},
	ReplyHistoryDeposits:  {"입금", "Payments"},
	ReplyHistoryNone:      {"입금 기록이 없어요.", "No payments on record."},
	ReplyHistoryCash:      {" (현금)", " (cash)"},
	ReplyHistoryMore:      {"… 이전 %d건", "… %d earlier"},
	ReplyHistoryOwes:      {"밀린 회비: %s", "Owed: %s"},
	ReplyHistoryCredit:    {"적립금: %s", "Credit: %s"},

	ReplyTreasurerAdded:    {"✅ %s 님을 공동 총무로 추가했어요.", "✅ Added %s as a co-treasurer."},
	ReplyTreasurerRemoved:  {"✅ %s 님은 이제 총무가 아니에요.", "✅ %s is no longer a treasurer."},
	ReplyTreasurerExists:   {"%s 님은 이미 총무예요.", "%s is already a treasurer."},
	ReplyTreasurerNotFound: {"%s 님은 총무가 아니에요. 바뀐 것은 없어요.", "%s is not a treasurer; nothing was changed."},
	ReplyTreasurerLast:     {"마지막 총무는 뺄 수 없어요. 바뀐 것은 없어요.", "The last treasurer cannot be removed; nothing was changed."},
	ReplyTreasurerMainOnly: {"모임을 맡은 총무는 공동 총무가 뺄 수 없어요. 바뀐 것은 없어요.", "A co-treasurer cannot remove a main treasurer; nothing was changed."},
	ReplyTreasurerUsername: {"@%s 님을 찾을 수 없어요: 메신저가 봇에게 @아이디의 사용자 번호를 알려 주지 않아요. 그분의 메시지에 답장으로 /총무 추가 를 보내거나, 숫자 사용자 번호로 적어 주세요 (예: /총무 추가 123456789). 그분이 단톡방에서 /나 <이름> 을 하면 총무님께 가는 확인 메시지에 번호가 나와요.", "Cannot look up @%s: the chat platform does not tell bots the user id behind a @username. Send /treasurer add in reply to one of their messages, or use their numeric user id (e.g. /treasurer add 123456789); when they send /iam <name> in the group chat, the confirmation you get shows it."},

	ReplyExportCaption: {"📄 %s 회비 내역 (%s 기준)", "📄 %s dues records (as of %s)"},
	ReplyExportSent:    {"📄 회비 내역 CSV를 DM으로 보냈어요.", "📄 Sent the dues records as CSV by direct message."},
	ReplyExportTooBig:  {"내역이 너무 커서 (%d KiB) 채팅으로 보낼 수 없어요. 서버에서 moimbot export 로 받아 주세요.", "The export is too big for chat (%d KiB); run moimbot export on the server instead."},

	ReplyExportNoFiles:  {"이 메신저로는 파일을 보낼 수 없어요. 서버에서 moimbot export 로 받아 주세요.", "I cannot send files on this platform; run moimbot export on the server instead."},
	ReplyUnpaidMentions: {"📣 %s", "📣 %s"},

	ReplyImportNotTreasurer: {"은행 거래내역 파일은 모임 총무만 보낼 수 있어요.", "Only a group's treasurer can send a bank statement file."},
	ReplyImportInDM:         {"거래내역 파일은 저와의 개인 대화(DM)로 보내 주세요. 이 파일은 읽지 않았어요.", "Please send statement files to me in a direct message; I have not read this one."},
	ReplyImportType:         {"%s: 읽을 수 있는 파일이 아니에요. 은행 앱에서 받은 엑셀(.xlsx, .xls) 또는 CSV 거래내역 파일을 보내 주세요.", "%s: not a file I can read. Send the transaction history the bank app exports as Excel (.xlsx, .xls) or CSV."},
	ReplyImportTooBig:       {"파일이 너무 커요 (최대 %d MiB). 기간을 나눠서 받아 보내 주세요.", "The file is too big (at most %d MiB); export a shorter period."},
	ReplyImportNoFiles:      {"이 메신저에서는 파일을 받을 수 없어요. 서버에서 moimbot import 로 넣어 주세요.", "I cannot receive files on this platform; use moimbot import on the server."},
	ReplyImportFetch:        {"파일을 받지 못했어요. 잠시 뒤 다시 보내 주세요.", "I could not download the file; please send it again in a moment."},
	ReplyImportPickGroup:    {"어느 모임의 거래내역인가요?", "Which group is this statement for?"},
	ReplyImportPassword:     {"🔒 암호가 걸린 파일이에요. 파일 암호(보통 예금주 생년월일 6자리)를 이 대화에 보내 주세요. 보내 주신 메시지는 바로 지우고, 암호는 저장하지 않아요.", "🔒 The file is encrypted. Send me its password (often the owner's birth date, 6 digits). I delete your message at once and never store the password."},
	ReplyImportWrongPass:    {"암호가 맞지 않아요. 다시 보내 주세요 (%d번 남음).", "That password does not open the file; try again (%d tries left)."},
	ReplyImportGaveUp:       {"암호가 여러 번 틀려서 이 파일은 그만 읽을게요. 파일을 다시 보내면 처음부터 할 수 있어요.", "Too many wrong passwords; I dropped the file. Send it again to start over."},
	ReplyImportExpired:      {"기다리던 파일이 없어요. 파일을 다시 보내 주세요.", "I no longer have that file; please send it again."},
	ReplyImportUnreadable:   {"파일을 읽지 못했어요: %s", "I could not read the file: %s"},
	ReplyImportOldXLS:       {"예전 엑셀 형식(.xls)이라 읽을 수 없어요. 엑셀에서 .xlsx 나 CSV 로 저장해서 보내 주세요.", "This is an old binary Excel file (.xls); save it as .xlsx or CSV and send that."},
	ReplyImportAccount:      {"%s 모임에 연결된 계좌가 여러 개인데, 파일의 계좌번호와 맞는 계좌가 없어요.", "%s has several linked accounts and none matches the file's account number."},
	ReplyImportNothingNew:   {"📄 %s: 파일의 %d건은 모두 이미 기록된 거래예요 (%s). 새로 바뀐 것은 없어요.", "📄 %s: all %d rows of the file are already recorded (%s); nothing new."},
	ReplyStatementOnly:      {"이 모임은 은행 거래내역 파일로 운영해요. 새 파일을 저에게 DM으로 보내 주세요.", "This group runs on bank statement files: send me the new file by DM."},
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
