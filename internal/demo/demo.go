// Package demo holds sori's built-in synthetic testimonies, used by
// `sori demo` to build a demonstration archive.
//
// Everything in this package is invented. The witnesses (identified only by
// the pseudonyms W-01 to W-04), every person named inside the transcripts,
// and every story are fictional and were written for testing search and
// structure. They are not based on any real witness, published testimony or
// known defector. Only public geography (provinces, cities, rivers and
// well-known facility names) is real. Each file begins with a line saying so.
//
// The texts deliberately vary in orthography and romanization so that search
// can be tested against them: some Korean transcripts follow North Korean
// spelling (로동, 녀성, 리) and others South Korean spelling (노동, 여성, 이),
// and the same invented officer 편경철 is romanized as P'yŏn Kyŏng-ch'ŏl,
// Pyon Kyong Chol and Pyeon Gyeong-cheol in different English files.
package demo

import "embed"

// FS holds the demo texts under testimonies/. Every file is UTF-8 text.
//
//go:embed testimonies/*.txt
var FS embed.FS

// Doc describes one file in FS.
type Doc struct {
	File          string // file name inside FS, e.g. "testimonies/w01-s1-famine.ko.txt"
	Title         string // short title in the document's language
	Lang          string // "ko" or "en"
	Kind          string // "transcript", or "document" for the field note
	Witness       string // pseudonym, e.g. "W-01"; "" for the field note
	TranslationOf string // File of the original this translates, or ""
	Note          string // one-line note, e.g. interview date/place (synthetic)
}

const dir = "testimonies/"

// pair returns a Korean original and its English translation.
func pair(base, witness, koTitle, enTitle, note string) []Doc {
	ko := dir + base + ".ko.txt"
	return []Doc{
		{File: ko, Title: koTitle, Lang: "ko", Kind: "transcript", Witness: witness, Note: note},
		{File: dir + base + ".en.txt", Title: enTitle, Lang: "en", Kind: "transcript", Witness: witness,
			TranslationOf: ko, Note: note + "; English translation"},
	}
}

// Docs lists every file in FS, each original before its translation.
// It returns a fresh slice on every call.
func Docs() []Doc {
	var docs []Doc
	docs = append(docs, pair("w01-s1-famine", "W-01",
		"고난의 행군 시기 무산의 식량난",
		"Famine years in Musan",
		"Synthetic interview, session 1, 2023-04-18, Seoul")...)
	docs = append(docs, pair("w01-s2-repatriation", "W-01",
		"강제송환 후 무산군 보위부 구류장",
		"Forced repatriation and SSD detention in Musan",
		"Synthetic interview, session 2, 2023-05-09, Seoul")...)
	docs = append(docs, pair("w02-s1-labour-training", "W-02",
		"회령 보위부 조사와 노동단련대",
		"Hoeryong SSD interrogation and labour training unit",
		"Synthetic interview, session 1, 2023-06-21, Incheon")...)
	docs = append(docs, pair("w02-s2-family-punishment", "W-02",
		"형의 탈북 후 가족 추방(연좌제)",
		"Family banished after brother's defection (guilt by association)",
		"Synthetic interview, session 2, 2023-07-12, Incheon")...)
	docs = append(docs, pair("w03-s1-foreign-media", "W-03",
		"혜산에서의 한국 드라마 시청과 단속",
		"Watching South Korean dramas in Hyesan and the raid",
		"Synthetic interview, session 1, 2024-02-27, Seoul")...)
	docs = append(docs, pair("w03-s2-yalu-crossing", "W-03",
		"혜산 부근 압록강 도강",
		"Crossing the Yalu near Hyesan",
		"Synthetic interview, session 2, 2024-03-19, Seoul")...)
	docs = append(docs, pair("w04-s1-kyohwaso", "W-04",
		"함경북도 교화소 수감 생활",
		"Imprisonment in a North Hamgyong kyohwaso",
		"Synthetic interview, session 1, 2024-05-08, Busan")...)
	docs = append(docs, Doc{
		File:  dir + "fieldnote-cross-references.en.txt",
		Title: "Interviewer's field note: cross-references between accounts",
		Lang:  "en",
		Kind:  "document",
		Note:  "Synthetic interviewer note, 2024-06-03; no Korean original",
	})
	return docs
}
