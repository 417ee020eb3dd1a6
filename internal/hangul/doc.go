// Package hangul is sori's Korean text handling: Hangul syllables and
// normalization, romanization, personal-name keys, North/South spelling,
// and the tokenizer behind full-text search. It depends only on the
// standard library and golang.org/x/text, and holds no mutable state: its
// tables are built once and never change, so every function is safe for
// concurrent use. The facts it encodes, and their sources, are in
// reference/korean.md.
//
// # Syllables and normalization
//
// Decompose and Compose implement the Unicode Hangul syllable algorithm.
// Normalize returns NFC text with Hangul composed, including compatibility
// and halfwidth jamo, which NFKC alone composes wrongly ("ㄱㅣㅁ" must be 김,
// not "기ᄆ").
//
// # Romanization
//
// RomanizeSyllable, Romanize and RomanizeName implement the Revised
// Romanization (RR), McCune–Reischauer (MR, with breves and apostrophes; ASCII
// folds them away) and the DPRK system, including each system's rules for
// personal names. The Surname table lists surnames with their romanizations
// and popular spellings (Lee, Park, Choi).
//
// # Search tokens
//
// Tokenize is what an FTS5 tokenizer emits for documents, TokenizeQuery what
// it emits for query strings, and MatchExpr turns a user's query into a
// MATCH expression. The store registers one tokenizer that calls
// TokenizeQuery when FTS5 passes FTS5_TOKENIZE_QUERY (or _PREFIX) and
// Tokenize otherwise, mapping the colocated flag to FTS5_TOKEN_COLOCATED; the
// table needs positions (detail=full, the default). With ncruces/go-sqlite3:
//
//	func (sori) Tokenize(f fts5.TokenizeFlag, text, _ string, cb fts5.TokenCallback) error {
//		tok := hangul.Tokenize
//		if f&(fts5.TOKENIZE_QUERY|fts5.TOKENIZE_PREFIX) != 0 {
//			tok = hangul.TokenizeQuery
//		}
//		return tok(text, func(t string, s, e int, col bool) error {
//			var fl fts5.TokenFlag
//			if col {
//				fl = fts5.TOKEN_COLOCATED
//			}
//			return cb(fl, t, s, e)
//		})
//	}
//
// Hangul has no spaces between words and their particles (요덕수용소에서), so
// a Hangul run is indexed as syllable unigrams, each on its own position,
// with the bigram starting there co-located. A query of one syllable looks
// up the unigram; a longer one becomes the phrase of its bigrams, which
// matches exactly where the syllables are adjacent. Queries get FTS5's
// query-time synonyms (co-located alternatives) for North/South spelling: the
// first syllable of every indexed word is stored in its southern form
// (로동 → 노동, 녀성 → 여성, 리 → 이), and inner query syllables also try the
// other form (조선노동당 finds 조선로동당). Latin text is lower-cased,
// stripped of diacritics and apostrophes and split at hyphens.
//
// # Names across scripts
//
// A name is matched syllable by syllable through keys (SyllableKey). Every
// Hangul syllable has one key: its initial, vowel and final sound, with ㄹ/ㄴ/ㅇ
// merged as the initial-sound rule merges them, ㅐ/ㅔ and ㅙ/ㅚ/ㅞ merged, and
// finals reduced to their seven sounds. A romanized syllable has the keys of
// every syllable it can spell: "chol" is 철, 촐, 절 or 졸 because MR without
// apostrophes and breves writes ㅈ and ㅊ both as ch and ㅓ and ㅗ both as o.
// The romanized syllables form a closed grammar (onset + vowel + final, in
// RR, MR, DPRK and popular spellings), so a joined name such as "Jongil" is
// split by a least-cost segmentation (Segment); where that is ambiguous
// (jong+il or jon+gil) all splits with the same number of syllables count.
// Surname spellings come from the table, never from string distance.
//
// NameKeys and SameName compare whole names this way, in either order when a
// romanized name ends with a surname (Yeonmi Park). In text, Tokenize
// co-locates each Hangul syllable's key with its unigram, and gives each
// romanized word one position per syllable holding that syllable's keys; a
// key query ("~" + name; see TokenizeQuery and MatchExpr) is the phrase of a
// name's syllable keys. So "Pak Chol Min" finds 박철민 in Korean testimony and
// 박철민 finds "Park Cheol-min" in an English translation, and "Kim Jongil"
// finds "Kim Jong-il" and 김정일 alike. Every syllable is keyed, not only
// words that look like names, because Korean text gives no reliable sign of
// a name (particles follow them: 박철민은).
//
// # Names as people type them
//
// MatchExpr reads more spellings in a query than Tokenize keys in a
// document, so that no index has to be rebuilt: punctuation around and
// inside a name ("Park, Cheol-min", "(Han Deok-su)"); surname spellings in
// Yale or RR transliteration (Ceng, Bag) besides the table; syllables in
// Yale (ㅓ e, ㅈ c: "Pak Chelmin") and with finals written by their letter
// (RR transliteration "Deog", Yale "os"), through a query grammar that
// widens the common one (queryname.go); a name run together with its
// surname ("Bakcheolmin"); and a joined given name read with another number
// of syllables ("Yu Hyeok" is also 유혜옥, and 유혜옥 also searches "유
// hyeok"). Latin words that are not names also search their English
// inflections (EnglishForms).
//
// # Places
//
// MatchExprPlaces also searches a place by the other names a gazetteer
// gives it (the caller passes the lookup: this package knows no places), so
// that Hoeryong, Hoeryŏng, 회령 and 會寧 find each other. Each word of the
// place as typed stays a term of its own, ORed with every other spelling,
// so a place query finds at least what it found without the gazetteer.
//
// # The false-positive trade-off
//
// Keys are as fine as the romanizations allow: Hangul keeps tense, lax and
// aspirated consonants and all vowels apart, and the ambiguity of a Latin
// spelling is carried as several keys rather than by coarsening every key.
// So two different Hangul names never share a key (except for the intended
// mergers such as 련 = 연), while a romanization matches every name it may
// spell: "Kim Jong Il" matches 김정일 and 김종일, because both are written so.
// Measured on synthetic names (TestNameCollisionRate, TestNameNearMisses):
// over 100,000 random pairs of distinct common names, 0.00% of Hangul pairs
// and at most 0.006% of Hangul/romanized or romanized/romanized pairs
// collide; among near misses (same surname, one given-name syllable
// changed) 0.3% join through RR and 0.4–0.5% through MR or DPRK spellings,
// nearly all ㅓ/ㅗ (선 read from "Son"). Recall of a name against its RR, MR
// (ALA-LC) and DPRK spellings is 100% for spaced or hyphenated given names;
// a given name run together is ambiguous where two vowels meet ("Hyeok" is
// 혁, or 혜옥), and 0.1–0.5% of such names are missed.
//
// In search, a key query also matches romanized words that happen to spell
// the same syllables (a name query for 도로 would match English "do no"),
// and an English word that segments into syllables carries keys and extra
// positions ("human" → hu+man). MatchExpr therefore adds key queries only
// for terms that look like names (a listed surname at one end) and always
// keeps the plain phrase; a plain query never searches keys. Keys cost index
// space: on the benchmark text they are 36% of the tokens of Korean text and
// 69% of English text (short English words segment readily and each
// romanized syllable has several keys). Keying only capitalized words would
// save most of that, but documents and queries must give a word the same
// number of positions whatever its case, so it would need a separate FTS
// column for names.
//
// # Known limits
//
// Romanize does not know morpheme boundaries (no ㄴ-insertion: 학여울);
// names in Hanja (金正日) are not linked to Hangul; Cyrillic and pinyin
// renderings are matched only where the surname table lists them (Tsoi,
// Piao); idiosyncratic spellings such as "Syngman Rhee" are not derived by
// rule and must be recorded as aliases.
package hangul
