// Package gen writes sori's deterministic synthetic corpus: testimony-shaped
// Korean and English paragraphs about invented people, with the spelling
// variety real testimony has (North and South Korean orthography, names in
// Hangul and in several romanizations), real public place names, dates of
// varied precision. The same seed always gives the same bytes. Everything
// in it is invented; it is for tests and benchmarks (`sori gen`).
package gen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"sori/internal/hangul"
)

// Options of a corpus.
type Options struct {
	Paragraphs int    // total paragraphs (lines), Korean and English together
	Seed       uint64 // same seed, same corpus
	PerFile    int    // paragraphs per file (default 100)
	People     int    // invented persons (default 400)
	Queries    int    // benchmark queries written to queries.txt (default 200)
}

// Person is an invented person with the spellings the corpus uses.
type Person struct {
	Hangul   string   // southern spelling
	North    string   // northern spelling (리/이 …), "" if the same
	Spelling []string // romanizations used in English text
}

// Corpus describes what Write produced.
type Corpus struct {
	Files      int
	Paragraphs int
	Bytes      int64
	People     []Person
	Queries    []string
}

var surnames = []string{"김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "류", "홍", "전", "고", "문", "양", "손", "배", "백", "허", "남", "노"}

var givenSyllables = []string{"철", "민", "영", "수", "정", "성", "혁", "현", "석", "선", "준", "희", "숙", "순", "경", "연", "호", "진", "미", "옥", "남", "광", "명", "일", "춘", "금", "은", "동", "식", "애", "란", "복", "용", "길", "학", "국", "혜", "향", "송", "범"}

var places = []struct{ ko, en string }{
	{"무산", "Musan"}, {"회령", "Hoeryong"}, {"혜산", "Hyesan"}, {"청진", "Chongjin"}, {"신의주", "Sinuiju"},
	{"온성", "Onsong"}, {"남양", "Namyang"}, {"함흥", "Hamhung"}, {"김책", "Kimchaek"}, {"요덕", "Yodok"},
	{"개천", "Kaechon"}, {"평양", "Pyongyang"}, {"원산", "Wonsan"}, {"강계", "Kanggye"}, {"만포", "Manpo"},
}

var facilities = []struct{ ko, en string }{
	{"보위부 구류장", "State Security detention centre"}, {"집결소", "holding centre"}, {"로동단련대", "labour training unit"},
	{"노동단련대", "labour training camp"}, {"교화소", "re-education camp"}, {"관리소", "political prison camp"},
	{"안전부 구류장", "police jail"}, {"장마당", "market"}, {"두만강 강가", "bank of the Tumen"}, {"압록강 강가", "bank of the Yalu"},
}

var koActs = []string{
	"심문을 받았다고 증언했다", "구타를 당했다고 말했다", "강제로 노동을 했다", "로동을 강요당했다", "식량을 빼앗겼다",
	"가족과 함께 추방되었다", "국경을 넘다가 붙잡혔다", "중국에서 강제송환되었다", "배급을 받지 못했다", "굶주림으로 쓰러졌다",
	"녀성 수감자들과 함께 갇혀 있었다", "여성 수감자들과 함께 갇혀 있었다", "한국 드라마를 보다가 단속되었다", "탈출을 시도했다",
	"고문을 목격했다고 말했다", "공개처형을 보았다고 진술했다",
}

var enActs = []string{
	"was interrogated", "was beaten", "was forced to work", "had food confiscated", "was banished with the family",
	"was caught crossing the border", "was forcibly returned from China", "received no rations", "collapsed from hunger",
	"was held with other women prisoners", "was arrested for watching South Korean dramas", "tried to escape",
	"witnessed torture", "saw a public execution",
}

var koDates = []string{"%d년 봄", "%d년 여름", "%d년 가을", "%d년 겨울", "%d년 %d월", "%d년 %d월 %d일", "%d년경"}
var enDates = []string{"in the spring of %d", "in the summer of %d", "in the autumn of %d", "in the winter of %d", "in %s %d", "on %d %s %d", "around %d"}
var months = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

// Write generates the corpus into dir (created; must not exist): ko/NNNNNN.txt
// and en/NNNNNN.txt with one paragraph per line, people.tsv (Hangul, northern
// spelling, romanizations) and queries.txt.
func Write(dir string, opt Options) (*Corpus, error) {
	if opt.Paragraphs < 1 {
		return nil, fmt.Errorf("gen: --paragraphs must be at least 1")
	}
	if opt.PerFile <= 0 {
		opt.PerFile = 100
	}
	if opt.People <= 0 {
		opt.People = 400
	}
	if opt.Queries <= 0 {
		opt.Queries = 200
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	for _, sub := range []string{"ko", "en"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x736f7269))
	c := &Corpus{People: people(rng, opt.People)}
	var f *os.File
	var w *bufio.Writer
	lang := "ko"
	closeFile := func() error {
		if f == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()
	}
	for i := 0; i < opt.Paragraphs; i++ {
		if i%opt.PerFile == 0 {
			if err := closeFile(); err != nil {
				return nil, err
			}
			lang = "ko"
			if (i/opt.PerFile)%2 == 1 {
				lang = "en"
			}
			var err error
			f, err = os.Create(filepath.Join(dir, lang, fmt.Sprintf("%06d.txt", i/opt.PerFile)))
			if err != nil {
				return nil, err
			}
			w = bufio.NewWriterSize(f, 64<<10)
			c.Files++
		}
		var p string
		if lang == "ko" {
			p = koParagraph(rng, c.People)
		} else {
			p = enParagraph(rng, c.People)
		}
		w.WriteString(p)
		w.WriteByte('\n')
		c.Bytes += int64(len(p) + 1)
		c.Paragraphs++
	}
	if err := closeFile(); err != nil {
		return nil, err
	}
	c.Queries = queries(rng, c.People, opt.Queries)
	if err := writeLines(filepath.Join(dir, "queries.txt"), c.Queries); err != nil {
		return nil, err
	}
	var rows []string
	for _, p := range c.People {
		rows = append(rows, p.Hangul+"\t"+p.North+"\t"+strings.Join(p.Spelling, "\t"))
	}
	return c, writeLines(filepath.Join(dir, "people.tsv"), rows)
}

func writeLines(path string, lines []string) error {
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// northern spellings of surnames that differ (the initial ㄹ rule).
var northSurname = map[string]string{"이": "리", "임": "림", "류": "류", "노": "로", "양": "량"}

// People returns n distinct invented persons drawn with seed, with the
// spellings Write would give them (not the same persons as a corpus of
// that seed: Write draws other things first).
func People(seed uint64, n int) []Person {
	return people(rand.New(rand.NewPCG(seed, 0x70656f70)), n)
}

func people(rng *rand.Rand, n int) []Person {
	seen := map[string]bool{}
	var out []Person
	for len(out) < n {
		sur := pick(rng, surnames)
		given := pick(rng, givenSyllables) + pick(rng, givenSyllables)
		name := sur + given
		if seen[name] {
			continue
		}
		seen[name] = true
		p := Person{Hangul: name}
		if ns, ok := northSurname[sur]; ok && ns != sur {
			p.North = ns + given
		}
		add := func(s string, err error) {
			if err == nil && s != "" {
				for _, x := range p.Spelling {
					if x == s {
						return
					}
				}
				p.Spelling = append(p.Spelling, s)
			}
		}
		add(hangul.RomanizeName(name, hangul.RR, hangul.NameOptions{Hyphen: true}))
		add(hangul.RomanizeName(name, hangul.MR, hangul.NameOptions{Hyphen: true}))
		add(hangul.RomanizeName(name, hangul.MR, hangul.NameOptions{Hyphen: true, ASCII: true}))
		add(hangul.RomanizeName(name, hangul.DPRK, hangul.NameOptions{ASCII: true}))
		if s, ok := hangul.LookupSurname(sur); ok && len(s.Popular) > 0 {
			if rr, err := hangul.RomanizeName(name, hangul.RR, hangul.NameOptions{Hyphen: true}); err == nil {
				_, g, _ := strings.Cut(rr, " ")
				add(s.Popular[0]+" "+g, nil)
			}
		}
		out = append(out, p)
	}
	return out
}

func koParagraph(rng *rand.Rand, ps []Person) string {
	p := pick(rng, ps)
	name := p.Hangul
	if p.North != "" && rng.IntN(2) == 0 {
		name = p.North
	}
	pl, fa := pick(rng, places), pick(rng, facilities)
	year := 1994 + rng.IntN(20)
	var date string
	switch f := pick(rng, koDates); strings.Count(f, "%d") {
	case 1:
		date = fmt.Sprintf(f, year)
	case 2:
		date = fmt.Sprintf(f, year, 1+rng.IntN(12))
	default:
		date = fmt.Sprintf(f, year, 1+rng.IntN(12), 1+rng.IntN(28))
	}
	s := fmt.Sprintf("%s %s %s에서 %s 씨는 %s.", date, pl.ko, fa.ko, name, pick(rng, koActs))
	if rng.IntN(3) == 0 {
		q := pick(rng, ps)
		s += fmt.Sprintf(" 그때 %s도 함께 있었다고 한다.", q.Hangul)
	}
	return s
}

func enParagraph(rng *rand.Rand, ps []Person) string {
	p := pick(rng, ps)
	name := pick(rng, p.Spelling)
	pl, fa := pick(rng, places), pick(rng, facilities)
	year := 1994 + rng.IntN(20)
	var date string
	switch f := pick(rng, enDates); {
	case strings.HasPrefix(f, "in %s"):
		date = fmt.Sprintf(f, pick(rng, months), year)
	case strings.HasPrefix(f, "on"):
		date = fmt.Sprintf(f, 1+rng.IntN(28), pick(rng, months), year)
	default:
		date = fmt.Sprintf(f, year)
	}
	s := fmt.Sprintf("The witness said that %s %s at the %s in %s %s.", name, pick(rng, enActs), fa.en, pl.en, date)
	if rng.IntN(3) == 0 {
		q := pick(rng, ps)
		s += fmt.Sprintf(" %s was there too.", pick(rng, q.Spelling))
	}
	return s
}

// queries: a fixed mix of 1-, 2- and 3+-syllable Korean, English words and
// names (Hangul and romanized).
func queries(rng *rand.Rand, ps []Person, n int) []string {
	ko1 := []string{"혁", "철", "강", "굶", "밤", "봄", "씨", "옥", "땅", "법"}
	ko2 := []string{"탈출", "고문", "요덕", "무산", "회령", "혜산", "심문", "구타", "배급", "추방", "노동", "녀성", "여성", "로동", "국경", "식량"}
	ko3 := []string{"두만강", "압록강", "집결소", "교화소", "관리소", "보위부", "장마당", "신의주", "강제송환", "단련대", "구류장", "공개처형"}
	en := []string{"interrogated", "beaten", "hunger", "rations", "border", "Tumen", "Yalu", "market", "escape", "torture", "execution", "camp", "women", "China", "dramas"}
	var out []string
	for len(out) < n {
		switch len(out) % 6 {
		case 0:
			out = append(out, pick(rng, ko1))
		case 1:
			out = append(out, pick(rng, ko2))
		case 2:
			out = append(out, pick(rng, ko3))
		case 3:
			out = append(out, pick(rng, en))
		case 4:
			out = append(out, pick(rng, ps).Hangul)
		default:
			out = append(out, pick(rng, pick(rng, ps).Spelling))
		}
	}
	return out
}
