package bot

import (
	"testing"
	"time"
)

func TestGapAndStuckNotices(t *testing.T) {
	at := time.Date(2026, 11, 20, 21, 10, 0, 0, time.FixedZone("KST", 9*3600))
	tests := []struct {
		name, got, want string
	}{
		{"GapKorean", GapNotice(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", at),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌: 11월 20일(금) 21:10 이후 거래 하나가 은행 거래내역에 보이지 않아요. 잔액이 맞지 않으니 은행 앱에서 확인하고 빠진 입금은 직접 기록해 주세요."},
		{"GapEnglish", GapNotice(English, "Book club", "", "", at),
			"⚠️ Book club: a transaction after Fri, Nov 20 21:10 is missing from the bank's list for the account: the balances do not add up. Check the bank app and record a missing deposit by hand."},
		{"StuckKorean", SyncStuckNotice(Korean, "독서모임", "카카오뱅크", "3333-01-2345***", at, 10),
			"⚠️ 독서모임 카카오뱅크 3333-01-2345*** 계좌 거래내역 조회가 11월 20일(금) 21:10부터 10번 연속 실패했어요. 다시 될 때까지 새 입금은 알려 드리지 못해요. 계속 다시 시도하고 있어요."},
		{"StuckEnglish", SyncStuckNotice(English, "Book club", "KakaoBank", "3333-01-2345***", at, 10),
			"⚠️ Book club: reading the KakaoBank 3333-01-2345*** account from the bank has failed 10 times in a row since Fri, Nov 20 21:10. New deposits are not announced until it works again; moimbot keeps trying."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got  %q\nwant %q", tt.got, tt.want)
			}
		})
	}
}
