package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
)

func TestStatementSummary(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, time.November, d, 9, 0, 0, 0, ledger.KST()) }
	r := ImportReport{Group: "독서모임", Bank: "kakaobank", Rows: 5, From: day(1), To: day(30),
		New: 4, Deposits: 3, Matched: 1, Review: 1, Ignored: 1, Duplicates: 1, Notified: 2}
	dry := r
	dry.DryRun = true
	none := ImportReport{Group: "독서모임", Rows: 5, Duplicates: 5, From: day(1), To: day(30)}
	tests := []struct {
		name   string
		lang   Lang
		r      ImportReport
		want   []string
		absent []string
	}{
		{"Korean", Korean, r, []string{"📄 독서모임: 거래 5건을 읽었어요 (kakaobank, 2026.11.01 ~ 2026.11.30).", "• 새 거래: 4건 (입금 3건)",
			"• 확인이 필요한 입금: 1건", "/review", "오래된 입금 1건"}, nil},
		{"English", English, r, []string{"📄 독서모임: read 5 rows (kakaobank, 2026-11-01 ~ 2026-11-30).", "• matched to members: 1",
			"• already recorded (skipped): 1", "1 older deposits"}, nil},
		{"DryRun", Korean, dry, []string{"미리보기, 저장 안 함", "• 회비 아님: 1건"}, []string{"/review", "오래된"}},
		{"NothingNew", Korean, none, []string{"5건은 모두 이미 기록된 거래예요 (2026.11.01 ~ 2026.11.30)"}, []string{"새 거래"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StatementSummary(tt.lang, tt.r)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.absent {
				if strings.Contains(got, w) {
					t.Errorf("summary has %q:\n%s", w, got)
				}
			}
		})
	}
}
