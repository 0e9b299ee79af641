package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

// ImportReport is what one bank statement file brought, for
// StatementSummary.
type ImportReport struct {
	// Group is the group's name, Bank the reader's profile.
	Group, Bank string
	// Rows is how many rows the file holds, From and To its period.
	Rows     int
	From, To time.Time
	// New rows were not stored before; Deposits of them are money in, of
	// which Matched were assigned, Review wait for the treasurer and
	// Ignored are not dues. Duplicates were stored already. Notified
	// deposits were announced in the group.
	New, Deposits, Matched, Review, Ignored, Duplicates, Notified int
	// DryRun says nothing was stored.
	DryRun bool
}

// Period renders the report's period: "2026.11.01 ~ 2026.11.30" (English:
// "2026-11-01 ~ 2026-11-30"), in KST.
func (r ImportReport) Period(lang Lang) string {
	if r.From.IsZero() || r.To.IsZero() {
		return "-"
	}
	layout := "2006.01.02"
	if lang == English {
		layout = "2006-01-02"
	}
	return r.From.In(ledger.KST()).Format(layout) + " ~ " + r.To.In(ledger.KST()).Format(layout)
}

// StatementSummary is the treasurer's answer to a statement file: what was
// read, what was new and what became of it.
func StatementSummary(lang Lang, r ImportReport) string {
	if r.New == 0 && !r.DryRun {
		return Reply(lang, ReplyImportNothingNew, r.Group, r.Rows, r.Period(lang))
	}
	// Each line in Korean and in English.
	t := func(ko, en string) string {
		if lang == English {
			return en
		}
		return ko
	}
	var b strings.Builder
	if r.DryRun {
		fmt.Fprintf(&b, t("📄 %s (미리보기, 저장 안 함): 거래 %d건 (%s, %s).", "📄 %s (dry run, nothing stored): %d rows (%s, %s)."),
			r.Group, r.Rows, r.Bank, r.Period(lang))
	} else {
		fmt.Fprintf(&b, t("📄 %s: 거래 %d건을 읽었어요 (%s, %s).", "📄 %s: read %d rows (%s, %s)."), r.Group, r.Rows, r.Bank, r.Period(lang))
	}
	fmt.Fprintf(&b, t("\n• 새 거래: %d건 (입금 %d건)", "\n• new transactions: %d (deposits %d)"), r.New, r.Deposits)
	fmt.Fprintf(&b, t("\n• 회원과 맞춘 입금: %d건", "\n• matched to members: %d"), r.Matched)
	fmt.Fprintf(&b, t("\n• 확인이 필요한 입금: %d건", "\n• to review: %d"), r.Review)
	fmt.Fprintf(&b, t("\n• 회비 아님: %d건", "\n• not dues: %d"), r.Ignored)
	fmt.Fprintf(&b, t("\n• 이미 기록된 거래 (건너뜀): %d건", "\n• already recorded (skipped): %d"), r.Duplicates)
	if r.DryRun {
		return b.String()
	}
	if r.Review > 0 {
		b.WriteString(t("\n확인할 입금은 따로 보내 드려요. /review 로 다시 볼 수 있어요.", "\nThe deposits to review come to you one by one; /review lists them again."))
	}
	if old := r.Deposits - r.Notified; old > 0 {
		fmt.Fprintf(&b, t("\n오래된 입금 %d건은 모임방에 알리지 않고 기록만 했어요.", "\n%d older deposits were recorded without a notice in the group."), old)
	}
	return b.String()
}
