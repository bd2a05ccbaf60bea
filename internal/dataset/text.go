package dataset

import (
	"math/rand/v2"
	"strings"
)

// Words of the synthetic texts: Finnish, as the real content is, with the
// letters ä, ö and å that search must fold.
var (
	topics = []string{"kotihoito", "joukkoliikenne", "kiertotalous", "työllisyys", "nuorisotyö",
		"ikäihmisten palvelut", "digitaaliset palvelut", "lähiruoka", "energiatehokkuus", "osallistava budjetointi",
		"kirjastopalvelut", "koulukuljetukset", "kotoutuminen", "yrittäjyys", "liikunta", "kulttuuri",
		"ympäristökasvatus", "asumisneuvonta", "etätyö", "sähköinen asiointi", "hyvinvointi", "matkailu",
		"älykäs liikenne", "kaavoitus", "vesihuolto", "metsätalous", "saaristo", "ruotsinkieliset palvelut"}
	pilotKinds = []string{"Kokeilu", "Pilotti", "Hanke", "Kehittämiskokeilu", "Palvelukokeilu", "Kärkikokeilu"}
	questions  = []string{"miten kehitämme", "kuka vastaa", "mitä opimme", "kokemuksia", "miten mitata",
		"rahoitus", "aikataulu", "tulokset", "yhteistyö", "seuraavat askeleet"}
	events     = []string{"seminaari", "työpaja", "webinaari", "verkostotapaaminen", "info", "koulutus", "kehittämispäivä"}
	firstNames = []string{"Aino", "Eero", "Helmi", "Juha", "Kaisa", "Lauri", "Maija", "Niko", "Outi", "Pekka",
		"Riikka", "Sami", "Tiina", "Ville", "Åsa", "Björn", "Elina", "Mikko", "Sanna", "Jari"}
	lastNames = []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
		"Heikkinen", "Koskinen", "Järvinen", "Lindström", "Öhman", "Söderberg", "Lehtonen", "Saarinen"}
	subjects = []string{"Kunta", "Kaupunki", "Hyvinvointialue", "Asukkaat", "Yhdistys", "Kokeilutiimi",
		"Ohjausryhmä", "Seutukunta", "Kirjasto", "Nuorisovaltuusto"}
	verbs   = []string{"kokeilee", "kehittää", "arvioi", "kartoittaa", "pilotoi", "levittää", "mittaa", "suunnittelee"}
	objects = []string{"uutta toimintamallia", "palvelupolkua", "asukaslähtöistä ratkaisua", "digitaalista työkalua",
		"yhteistä käytäntöä", "kokeilun tuloksia", "rahoitusmallia", "yhteistyöverkostoa", "ennakointia"}
	tails = []string{"yhdessä naapurikuntien kanssa", "vuoden ajan", "osana kokeiluohjelmaa", "pienellä budjetilla",
		"asukkaita kuunnellen", "ennen laajempaa käyttöönottoa", "yritysten kanssa", "kolmessa kylässä"}
)

// sentence is one plausible Finnish sentence about a pilot.
func sentence(rnd *rand.Rand) string {
	return pickOne(rnd, subjects) + " " + pickOne(rnd, verbs) + " " + pickOne(rnd, objects) + " (" +
		pickOne(rnd, topics) + ") " + pickOne(rnd, tails) + "."
}

func sentences(rnd *rand.Rand, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = sentence(rnd)
	}
	return strings.Join(parts, " ")
}

// pilotTitle is a pilot's title naming its topic and lead municipality.
func pilotTitle(rnd *rand.Rand, municipality string, k int) string {
	return pickOne(rnd, pilotKinds) + ": " + pickOne(rnd, topics) + " – " + municipality + " " + itoa(k)
}

func itoa(k int) string {
	const digits = "0123456789"
	if k == 0 {
		return "0"
	}
	var b []byte
	for ; k > 0; k /= 10 {
		b = append([]byte{digits[k%10]}, b...)
	}
	return string(b)
}
