package telegramtest_test

import (
	"errors"
	"html"
	"strings"
	"testing"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

type ent = telegramtest.MessageEntity

func TestParseHTML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		text string
		ents []ent
	}{
		{"Plain", "hello", "hello", nil},
		{"Bold", "<b>bold</b> and <strong>strong</strong>", "bold and strong",
			[]ent{{Type: "bold", Offset: 0, Length: 4}, {Type: "bold", Offset: 9, Length: 6}}},
		{"Nested", "<b>a<i>b</i></b>", "ab",
			[]ent{{Type: "bold", Offset: 0, Length: 2}, {Type: "italic", Offset: 1, Length: 1}}},
		{"AllSimpleTags", "<i>1</i><em>2</em><u>3</u><ins>4</ins><s>5</s><strike>6</strike><del>7</del><tg-spoiler>8</tg-spoiler><span class=\"tg-spoiler\">9</span>",
			"123456789", []ent{
				{Type: "italic", Offset: 0, Length: 1}, {Type: "italic", Offset: 1, Length: 1},
				{Type: "underline", Offset: 2, Length: 1}, {Type: "underline", Offset: 3, Length: 1},
				{Type: "strikethrough", Offset: 4, Length: 1}, {Type: "strikethrough", Offset: 5, Length: 1}, {Type: "strikethrough", Offset: 6, Length: 1},
				{Type: "spoiler", Offset: 7, Length: 1}, {Type: "spoiler", Offset: 8, Length: 1},
			}},
		{"UpperCaseTags", "<B>x</B>", "x", []ent{{Type: "bold", Offset: 0, Length: 1}}},
		{"Link", `<a href="https://moim.example/?a=1&amp;b=2">link</a>`, "link",
			[]ent{{Type: "text_link", Offset: 0, Length: 4, URL: "https://moim.example/?a=1&b=2"}}},
		{"LinkRawAmpInAttribute", `<a href='https://x.example/?a=1&b=2'>x</a>`, "x",
			[]ent{{Type: "text_link", Offset: 0, Length: 1, URL: "https://x.example/?a=1&b=2"}}},
		{"Code", "<code>x := 1</code>", "x := 1", []ent{{Type: "code", Offset: 0, Length: 6}}},
		{"PreWithLanguage", `<pre><code class="language-go">fmt.Println()</code></pre>`, "fmt.Println()",
			[]ent{{Type: "pre", Offset: 0, Length: 13, Language: "go"}}},
		{"Pre", "<pre>a\n b</pre>", "a\n b", []ent{{Type: "pre", Offset: 0, Length: 4}}},
		{"Blockquote", "<blockquote>q</blockquote>", "q", []ent{{Type: "blockquote", Offset: 0, Length: 1}}},
		{"ExpandableBlockquote", "<blockquote expandable>q</blockquote>", "q", []ent{{Type: "expandable_blockquote", Offset: 0, Length: 1}}},
		{"CustomEmoji", `<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`, "👍",
			[]ent{{Type: "custom_emoji", Offset: 0, Length: 2, CustomEmojiID: "5368324170671202286"}}},
		{"CharRefs", "&lt;b&gt; &amp; &quot;q&quot; &#39; &#x41; &#xAC00;", `<b> & "q" ' A 가`, nil},
		{"LiteralGreater", "2 > 1", "2 > 1", nil},
		{"EscapeString", html.EscapeString(`<A&B> "it's"`), `<A&B> "it's"`, nil},
		{"UTF16Offsets", "😀 <b>가나</b> 🎉<i>x</i>", "😀 가나 🎉x",
			[]ent{{Type: "bold", Offset: 3, Length: 2}, {Type: "italic", Offset: 8, Length: 1}}},
		{"UnknownAttributeIgnored", `<b data-x="1">x</b>`, "x", []ent{{Type: "bold", Offset: 0, Length: 1}}},
		{"ClosingShortForm", "<b>x</>", "x", []ent{{Type: "bold", Offset: 0, Length: 1}}},
		{"EmptyElement", "a<b></b>b", "ab", nil},
		{"TrimmedWithEntities", "  <b> x </b>\n", "x", []ent{{Type: "bold", Offset: 0, Length: 1}}},
		{"Multiline", "<b>제목</b>\n\n- 홍길동 10,000원\n", "제목\n\n- 홍길동 10,000원", []ent{{Type: "bold", Offset: 0, Length: 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, ents, err := telegramtest.ParseHTML(tc.in)
			if err != nil {
				t.Fatalf("ParseHTML(%q): %v", tc.in, err)
			}
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if !equalEntities(ents, tc.ents) {
				t.Errorf("entities = %+v, want %+v", ents, tc.ents)
			}
		})
	}
}

func TestParseHTMLErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"UnsupportedTag", "<p>x</p>", `Unsupported start tag "p" at byte offset 0`},
		{"BareLess", "a < b", `Unsupported start tag "" at byte offset 2`},
		{"BareLessNoSpace", "1<2", `Unclosed start tag at byte offset 1`},
		{"Unclosed", "<b>x", `Can't find end tag corresponding to start tag "b"`},
		{"Mismatched", "<b><i>x</b></i>", `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{"UnexpectedEnd", "x</b>", `Unexpected end tag at byte offset 1`},
		{"UnclosedEndTag", "<b>x</b", `Unclosed end tag at byte offset 4`},
		{"UnclosedStartTag", `<a href="x`, `Unclosed start tag "a" at byte offset 0`},
		{"SpanWithoutClass", "<span>x</span>", `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{"EmptyAttributeName", `<b ="x">y</b>`, `Empty attribute name in the tag "b" at byte offset 0`},
		{"BadUnquotedValue", `<a href=x/y>z</a>`, `Unexpected end of name token at byte offset 9`},
		{"BareAmp", "Tom & Jerry", `Unescaped "&" at byte offset 4`},
		{"UnknownNamedRef", "&nbsp;", `Unescaped "&" at byte offset 0`},
		{"ApostropheRef", "&apos;", `Unescaped "&" at byte offset 0`},
		{"RefWithoutSemicolon", "&lt", `Unescaped "&" at byte offset 0`},
		{"BadEmojiID", `<tg-emoji emoji-id="x">👍</tg-emoji>`, `Invalid custom emoji identifier specified`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := telegramtest.ParseHTML(tc.in)
			var he *telegramtest.HTMLError
			if !errors.As(err, &he) {
				t.Fatalf("ParseHTML(%q) err = %v, want *HTMLError", tc.in, err)
			}
			if !strings.HasPrefix(he.Error(), tc.want) {
				t.Errorf("ParseHTML(%q) err = %q, want %q…", tc.in, he.Error(), tc.want)
			}
		})
	}
}
