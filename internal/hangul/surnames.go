package hangul

import (
	"slices"
	"strings"
	"sync"
)

// Surname is one Korean surname and the ways it is spelled.
type Surname struct {
	Hangul string // southern spelling: "이"
	North  string // northern spelling when it differs: "리"; else ""
	Hanja  string // usual characters, comma-separated
	RR     string // Revised Romanization (strict)
	MR     string // McCune–Reischauer
	DPRK   string // DPRK system, as usually printed
	// Popular lists passport and press spellings (Lee, Rhee, Park, Choi),
	// Chinese (pinyin) and Koryo-saram forms where known.
	Popular []string
	// Pop2000 is the 2000 South Korean census count, 0 when not recorded
	// here.
	Pop2000 int
}

// surnameTable follows reference/korean.md §1.4. Rows 1–21 (spellings and
// counts) are sourced there; later rows, the DPRK column and the rare
// surnames at the end are general knowledge [G]. Deliberately left out: "Gang"
// as a spelling of 장 (it is the RR spelling of 강; the §1.4 row looks like a
// copying slip), pinyin "Jin" for 김 (it is the RR spelling of 진), and the
// Cyrillic Цой (only Latin text is keyed). Spellings added after issue 15
// (Bahk, Pahk, Lyu, Rhyu, Ryoo, Lo, Loh, Nahm, La, Rah, Lyang) are ones the
// syllable grammar already reads as the same syllable, so adding them
// changes no document's keys; they make a query recognize the name.
var surnameTable = []Surname{
	{"김", "", "金", "Gim", "Kim", "Kim", []string{"Kim", "Kym", "Ghim", "Khim", "Gym", "Geem"}, 9925949},
	{"이", "리", "李,伊,異", "I", "Yi", "Ri", []string{"Lee", "Yi", "Rhee", "Ree", "Rey", "Rhie", "Reeh", "Yie", "Ee", "I", "Li", "Yee", "Ri"}, 6796227},
	{"박", "", "朴", "Bak", "Pak", "Pak", []string{"Park", "Pak", "Bark", "Pack", "Bak", "Bac", "Bahk", "Pahk", "Piao"}, 3895121},
	{"정", "", "丁,程,鄭", "Jeong", "Chŏng", "Jong", []string{"Chung", "Jung", "Joung", "Chong", "Cheong", "Choung", "Zheng"}, 2230611},
	{"최", "", "崔", "Choe", "Ch'oe", "Choe", []string{"Choi", "Che", "Choy", "Chey", "Tsoi", "Cui"}, 2169704},
	{"조", "", "趙,曺", "Jo", "Cho", "Jo", []string{"Cho", "Joe", "Joh", "Jou"}, 1347730},
	{"강", "", "姜,剛,康", "Gang", "Kang", "Kang", []string{"Kang", "Kahng", "Kwang", "Khang"}, 1169805},
	{"유", "류", "柳,劉,兪,庾", "Yu", "Yu", "Ryu", []string{"Yoo", "You", "Ryu", "Lyu", "Rhyu", "Ryoo", "Yu"}, 1040984},
	{"윤", "", "尹", "Yun", "Yun", "Yun", []string{"Yoon", "Youn", "Yune", "Yeun"}, 948600},
	{"장", "", "張,蔣,章", "Jang", "Chang", "Jang", []string{"Chang", "Jahng", "Jhang", "Jeung", "Jang", "Zang", "Zhang"}, 943257},
	{"신", "", "申,辛,愼", "Sin", "Sin", "Sin", []string{"Shin", "Shinn", "Sheen", "Chin", "Seen"}, 911556},
	{"임", "림", "林,任", "Im", "Im", "Rim", []string{"Lim", "Yim", "Rim", "Leem", "Rhim", "Reem", "Rym", "Lym"}, 735493},
	{"한", "", "韓", "Han", "Han", "Han", []string{"Hahn", "Hann"}, 715556},
	{"오", "", "吳", "O", "O", "O", []string{"Oh", "Oe", "Au"}, 706908},
	{"서", "", "徐", "Seo", "Sŏ", "So", []string{"Suh", "Su", "Sur", "So", "Seu"}, 695249},
	{"전", "", "全,田,錢", "Jeon", "Chŏn", "Jon", []string{"Jun", "Chun", "Chon", "Jeun", "Cheon", "Chen", "Jeon"}, 687867},
	{"권", "", "權", "Gwon", "Kwŏn", "Kwon", []string{"Kwon", "Kweon", "Kwun", "Gwon"}, 652495},
	{"황", "", "黃", "Hwang", "Hwang", "Hwang", []string{"Whang", "Hoang", "Whoang", "Whoan"}, 644294},
	{"송", "", "宋,松", "Song", "Song", "Song", []string{"Soung", "Sung"}, 639082},
	{"안", "", "安", "An", "An", "An", []string{"Ahn", "Ann", "Aan", "Anh"}, 637786},
	{"홍", "", "洪", "Hong", "Hong", "Hong", []string{"Houng", "Hyong"}, 518635},
	{"양", "량", "梁,楊", "Yang", "Yang", "Ryang", []string{"Yang", "Ryang", "Lyang"}, 0},
	{"손", "", "孫", "Son", "Son", "Son", []string{"Sohn"}, 0},
	{"백", "", "白", "Baek", "Paek", "Paek", []string{"Baek", "Paik", "Baik", "Back"}, 0},
	{"노", "로", "盧", "No", "No", "Ro", []string{"Noh", "Roh", "Ro", "Rho", "Lo", "Loh"}, 0},
	{"문", "", "文", "Mun", "Mun", "Mun", []string{"Moon"}, 0},
	{"현", "", "玄", "Hyeon", "Hyŏn", "Hyon", []string{"Hyun", "Hyon"}, 0},
	{"주", "", "朱", "Ju", "Chu", "Ju", []string{"Joo", "Chu", "Ju"}, 0},
	{"차", "", "車", "Cha", "Ch'a", "Cha", []string{"Cha"}, 0},
	{"허", "", "許", "Heo", "Hŏ", "Ho", []string{"Huh", "Hur", "Her"}, 0},
	{"남", "", "南", "Nam", "Nam", "Nam", []string{"Nam", "Nahm"}, 0},
	{"나", "라", "羅", "Na", "Na", "Ra", []string{"Na", "Ra", "Rha", "La", "Rah"}, 0},
	{"지", "", "池", "Ji", "Chi", "Ji", []string{"Ji", "Chi"}, 0},
	{"진", "", "陳,秦", "Jin", "Chin", "Jin", []string{"Jin", "Chin"}, 0},
	{"채", "", "蔡", "Chae", "Ch'ae", "Chae", []string{"Chae", "Chai"}, 0},
	{"염", "렴", "廉", "Yeom", "Yŏm", "Ryom", []string{"Yeom", "Yum", "Youm"}, 0},
	{"여", "려", "呂", "Yeo", "Yŏ", "Ryo", []string{"Yeo", "Yuh"}, 0},
	{"배", "", "裵", "Bae", "Pae", "Pae", []string{"Bae", "Pae", "Bai"}, 0},
	{"방", "", "方", "Bang", "Pang", "Pang", []string{"Bang", "Pang"}, 0},
	{"곽", "", "郭", "Gwak", "Kwak", "Kwak", []string{"Kwak", "Kwack"}, 0},
	{"성", "", "成", "Seong", "Sŏng", "Song", []string{"Sung", "Seong"}, 0},
	{"구", "", "具", "Gu", "Ku", "Ku", []string{"Koo", "Ku", "Gu"}, 0},
	{"우", "", "禹", "U", "U", "U", []string{"Woo", "Wu"}, 0},
	{"고", "", "高", "Go", "Ko", "Ko", []string{"Ko", "Koh", "Go"}, 0},
	{"심", "", "沈", "Sim", "Sim", "Sim", []string{"Shim", "Sim"}, 0},
	{"도", "", "都", "Do", "To", "To", []string{"Do", "Doh"}, 0},
	{"탁", "", "卓", "Tak", "T'ak", "Thak", []string{"Tak", "Tahk"}, 0},
	{"남궁", "", "南宮", "Namgung", "Namgung", "Namgung", []string{"Namkung"}, 0},
	{"황보", "", "皇甫", "Hwangbo", "Hwangbo", "Hwangbo", []string{"Hwangbo"}, 0},
	{"제갈", "", "諸葛", "Jegal", "Chegal", "Jegal", []string{"Jegal"}, 0},
	{"선우", "", "鮮于", "Seonu", "Sŏnu", "Sonu", []string{"Sunwoo"}, 0},
	{"사공", "", "司空", "Sagong", "Sagong", "Sagong", []string{"Sakong"}, 0},
	{"독고", "", "獨孤", "Dokgo", "Tokko", "Tokko", []string{"Dokko"}, 0},
	// Rarer surnames [G]: listed so that names beginning with them are
	// recognized; the romanized columns are filled in by the systems.
	{"민", "", "閔", "", "", "", []string{"Min"}, 0},
	{"변", "", "卞", "", "", "", []string{"Byun", "Pyun"}, 0},
	{"편", "", "片", "", "", "", []string{"Pyun", "Pyon", "Pyeon"}, 0},
	{"엄", "", "嚴", "", "", "", []string{"Um", "Uhm", "Eom"}, 0},
	{"원", "", "元", "", "", "", []string{"Won", "Weon"}, 0},
	{"천", "", "千", "", "", "", []string{"Chun", "Chon", "Cheon"}, 0},
	{"공", "", "孔", "", "", "", []string{"Kong"}, 0},
	{"함", "", "咸", "", "", "", []string{"Hahm", "Ham"}, 0},
	{"표", "", "表", "", "", "", []string{"Pyo"}, 0},
	{"명", "", "明", "", "", "", []string{"Myung"}, 0},
	{"기", "", "奇", "", "", "", []string{"Ki", "Kee"}, 0},
	{"반", "", "潘", "", "", "", []string{"Pan", "Bahn"}, 0},
	{"왕", "", "王", "", "", "", []string{"Wang"}, 0},
	{"금", "", "琴", "", "", "", []string{"Keum", "Kum"}, 0},
	{"옥", "", "玉", "", "", "", []string{"Ok", "Oak"}, 0},
	{"육", "륙", "陸", "", "", "", []string{"Yook", "Yuk", "Ryuk"}, 0},
	{"인", "", "印", "", "", "", []string{"In"}, 0},
	{"맹", "", "孟", "", "", "", []string{"Maeng"}, 0},
	{"국", "", "鞠", "", "", "", []string{"Kook", "Kuk"}, 0},
	{"용", "룡", "龍", "", "", "", []string{"Yong", "Ryong"}, 0},
	{"경", "", "景", "", "", "", []string{"Kyung", "Kyoung"}, 0},
	{"봉", "", "奉", "", "", "", []string{"Bong"}, 0},
	{"석", "", "石", "", "", "", []string{"Seok", "Suk"}, 0},
	{"설", "", "薛", "", "", "", []string{"Seol", "Sul", "Sol"}, 0},
	{"마", "", "馬", "", "", "", []string{"Ma"}, 0},
	{"길", "", "吉", "", "", "", []string{"Kil", "Gil"}, 0},
	{"연", "", "延", "", "", "", []string{"Yeon", "Youn", "Yun"}, 0},
	{"위", "", "魏", "", "", "", []string{"Wi", "Wee"}, 0},
	{"추", "", "秋", "", "", "", []string{"Chu", "Choo"}, 0},
	{"소", "", "蘇", "", "", "", []string{"So", "Soh"}, 0},
	{"선", "", "宣", "", "", "", []string{"Sun", "Seon"}, 0},
	{"태", "", "太", "", "", "", []string{"Tae"}, 0},
	{"하", "", "河", "", "", "", []string{"Ha", "Hah"}, 0},
	{"계", "", "桂", "", "", "", []string{"Kye"}, 0},
	{"빈", "", "賓", "", "", "", []string{"Bin"}, 0},
	{"동", "", "董", "", "", "", []string{"Dong"}, 0},
	{"승", "", "承", "", "", "", []string{"Seung"}, 0},
	{"형", "", "邢", "", "", "", []string{"Hyung"}, 0},
	{"두", "", "杜", "", "", "", []string{"Doo"}, 0},
	{"부", "", "夫", "", "", "", []string{"Boo"}, 0},
	{"가", "", "賈", "", "", "", []string{"Ka"}, 0},
	{"복", "", "卜", "", "", "", []string{"Bok"}, 0},
	{"모", "", "牟", "", "", "", []string{"Mo", "Moh"}, 0},
	{"어", "", "魚", "", "", "", []string{"Eo"}, 0},
	{"예", "", "芮", "", "", "", []string{"Ye", "Yeh"}, 0},
	{"호", "", "扈", "", "", "", []string{"Ho"}, 0},
}

type surnameIndex struct {
	table   []Surname
	byHan   map[string]int   // Hangul (southern or northern) → row
	byLatin map[string][]int // folded spelling → rows
}

var surnames = sync.OnceValue(func() *surnameIndex {
	x := &surnameIndex{byHan: map[string]int{}, byLatin: map[string][]int{}}
	x.table = slices.Clone(surnameTable)
	for i := range x.table {
		s := &x.table[i]
		if s.RR == "" {
			s.RR = capitalize(surnameText(s.Hangul, RR))
			s.MR = capitalize(surnameText(s.Hangul, MR))
			s.DPRK = capitalize(ASCII(surnameText(s.Hangul, DPRK)))
		}
		x.byHan[s.Hangul] = i
		if s.North != "" {
			x.byHan[s.North] = i
		}
		spell := append([]string{s.RR, s.MR, s.DPRK}, s.Popular...)
		for _, p := range spell {
			k := strings.ReplaceAll(foldLatin(p), "-", "")
			if k != "" && !slices.Contains(x.byLatin[k], i) {
				x.byLatin[k] = append(x.byLatin[k], i)
			}
		}
	}
	return x
})

// Surnames returns a copy of the surname table (reference/korean.md §1.4
// plus rarer surnames), most frequent first.
func Surnames() []Surname {
	t := surnames().table
	out := make([]Surname, len(t))
	for i, s := range t {
		out[i] = s
		out[i].Popular = slices.Clone(s.Popular)
	}
	return out
}

// LookupSurname finds a surname by its Hangul spelling, southern or northern
// (이 and 리 both find 李).
func LookupSurname(hangul string) (Surname, bool) {
	x := surnames()
	i, ok := x.byHan[Normalize(hangul)]
	if !ok {
		return Surname{}, false
	}
	s := x.table[i]
	s.Popular = slices.Clone(s.Popular)
	return s, true
}

// SurnamesSpelled returns the surnames that latin is a listed spelling of,
// compared after case, diacritic, apostrophe and hyphen folding: "Lee" and
// "Rhee" find 이; "Chin" finds 신 and 진; "Kwang" finds 강. The lookup is by
// table, never by string distance (reference/korean.md §1.7 step 4).
func SurnamesSpelled(latin string) []Surname {
	x := surnames()
	var out []Surname
	for _, i := range x.byLatin[strings.ReplaceAll(foldLatin(latin), "-", "")] {
		s := x.table[i]
		s.Popular = slices.Clone(s.Popular)
		out = append(out, s)
	}
	return out
}

func isTwoSyllableSurname(s string) bool {
	i, ok := surnames().byHan[s]
	return ok && len([]rune(surnames().table[i].Hangul)) == 2
}

func isHangulSurname(s string) bool {
	_, ok := surnames().byHan[s]
	return ok
}
