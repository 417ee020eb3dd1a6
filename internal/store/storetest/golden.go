package storetest

// goldenWant is render's output for each golden query, as the SQLite
// driver answered when the suite was written (SORI_STORETEST_PRINT=1).
var goldenWant = map[string]string{
	"hangul word":      "d01 testimony part=0 -2.432732 \"[두만강]을 건넌 밤\"|d05 testimony part=2 -1.761348 \"어머니는 [두만강]을 다시 건너지 못했다.\"|d02 testimony part=2 -1.347994 \"…안에서 강제노동을 했다. [두만강] 이야기는 나중에 들었다.\"|",
	"hangul phrase":    "d02 testimony part=0 -4.042517 \"[요덕] [관리소]\"|",
	"latin":            "d03 transcript part=1 -2.467014 \"The guard described the [camp] at Yodok in 2003.\"|",
	"syllable prefix":  "d04 event part=0 -1.678287 \"[회]령 구금 사건\"|d01 testimony part=2 -1.374372 \"[회]령에서 보위부에 잡혔다.\"|",
	"name":             "d05 testimony part=1 -3.586342 \"…연길에서 팔려 갔다. [박철수] 씨가 도와주었다.\"|",
	"kind filter":      "d01 testimony part=0 -2.432732 \"[두만강]을 건넌 밤\"|d05 testimony part=2 -1.761348 \"어머니는 [두만강]을 다시 건너지 못했다.\"|d02 testimony part=2 -1.347994 \"…안에서 강제노동을 했다. [두만강] 이야기는 나중에 들었다.\"|",
	"violation prefix": "d04 event part=0 -1.678287 \"회령 [구금] 사건\"|",
	"place filter":     "d01 testimony part=2 -1.789690 \"회령에서 [보위부]에 잡혔다.\"|d04 event part=1 -1.387638 \"회령 [보위부] 구류장에서 석 달 동안 구금되었다.\"|",
	"years":            "d05 testimony part=2 -1.761348 \"어머니는 [두만강]을 다시 건너지 못했다.\"|d02 testimony part=2 -1.347994 \"…안에서 강제노동을 했다. [두만강] 이야기는 나중에 들었다.\"|",
	"limit":            "d01 testimony part=0 -2.432732 \"[두만강]을 건넌 밤\"|d05 testimony part=2 -1.761348 \"어머니는 [두만강]을 다시 건너지 못했다.\"|",
	"allow":            "d01 testimony part=0 -2.432732 \"[두만강]을 건넌 밤\"|d05 testimony part=2 -1.761348 \"어머니는 [두만강]을 다시 건너지 못했다.\"|",
	"none":             "",
}
