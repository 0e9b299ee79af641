package telegram

import (
	"reflect"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot"
)

// TestConvertMessages: text messages and documents become updates with
// the message's id; a document's caption is its text; messages with
// neither text nor a document are dropped.
func TestConvertMessages(t *testing.T) {
	private := models.Chat{ID: 7, Type: models.ChatTypePrivate, FirstName: "총무"}
	group := models.Chat{ID: -100, Type: models.ChatTypeSupergroup, Title: "Moim"}
	alice := &models.User{ID: 7, FirstName: "총무", LastName: "김", Username: "treasurer"}
	aliceRef := bot.User{Platform: "telegram", ID: "7", Name: "총무 김", Username: "treasurer"}
	xlsx := &models.Document{FileID: "BQACAgUAAxkBAAI1", FileUniqueID: "AgAD1", FileName: "거래내역.xlsx",
		MimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", FileSize: 12_345}
	wantXLSX := &bot.Document{ID: "BQACAgUAAxkBAAI1", Name: "거래내역.xlsx",
		MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Size: 12_345}

	tests := []struct {
		name string
		msg  models.Message
		want *bot.Update // nil: dropped
	}{
		{"Text", models.Message{ID: 3, Date: 1, Chat: group, From: alice, Text: "/status"},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "-100"}, Title: "Moim", From: aliceRef, Text: "/status", MessageID: "3"}},
		{"TextInPrivate", models.Message{ID: 41, Date: 1, Chat: private, From: alice, Text: "hunter2"},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "7"}, Private: true, From: aliceRef, Text: "hunter2", MessageID: "41"}},
		{"Document", models.Message{ID: 42, Date: 1, Chat: private, From: alice, Document: xlsx},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "7"}, Private: true, From: aliceRef, MessageID: "42", Document: wantXLSX}},
		{"DocumentWithCaption", models.Message{ID: 43, Date: 1, Chat: private, From: alice, Document: xlsx, Caption: "/import 5월"},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "7"}, Private: true, From: aliceRef, Text: "/import 5월", MessageID: "43", Document: wantXLSX}},
		{"DocumentInGroup", models.Message{ID: 44, Date: 1, Chat: group, From: alice, Document: &models.Document{FileID: "F", FileUniqueID: "U"}},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "-100"}, Title: "Moim", From: aliceRef, MessageID: "44", Document: &bot.Document{ID: "F"}}},
		{"DocumentWithoutFileID", models.Message{ID: 45, Date: 1, Chat: private, From: alice, Document: &models.Document{FileName: "a.csv"}}, nil},
		{"DocumentFromBot", models.Message{ID: 46, Date: 1, Chat: private, From: &models.User{ID: 9, IsBot: true}, Document: xlsx}, nil},
		{"DocumentWithoutSender", models.Message{ID: 47, Date: 1, Chat: group, Document: xlsx}, nil},
		{"Photo", models.Message{ID: 48, Date: 1, Chat: private, From: alice, Photo: []models.PhotoSize{{FileID: "P", Width: 90, Height: 90}}}, nil},
		{"PhotoWithCaption", models.Message{ID: 49, Date: 1, Chat: private, From: alice, Caption: "영수증", Photo: []models.PhotoSize{{FileID: "P", Width: 90, Height: 90}}}, nil},
		{"Sticker", models.Message{ID: 50, Date: 1, Chat: group, From: alice, Sticker: &models.Sticker{FileID: "S"}}, nil},
		{"Migrated", models.Message{ID: 51, Date: 1, Chat: group, From: alice, MigrateToChatID: -1001},
			&bot.Update{Chat: bot.ChatRef{Platform: "telegram", ID: "-100"}, Title: "Moim", From: aliceRef, MessageID: "51", Membership: &bot.Membership{MovedTo: "-1001"}}},
	}
	a := &Adapter{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg
			it, ok := a.convert(&models.Update{ID: 9, Message: &msg})
			if tc.want == nil {
				if ok {
					t.Errorf("got %+v, want the message dropped", it.u)
				}
				return
			}
			if !ok {
				t.Fatal("the message was dropped")
			}
			want := *tc.want
			want.ID = "telegram:9"
			if got := it.u; !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v (document %+v)\nwant %+v (document %+v)", got, got.Document, want, want.Document)
			}
		})
	}
}
