package dataprotect

// Keyword lists that AWS documents for the managed data identifiers that
// need a keyword near the data. A space in a keyword also matches no space,
// an underscore or a hyphen, as AWS describes.

var (
	kwAwsSecret = []string{"aws_secret_access_key", "credentials", "secret access key", "secret key", "set-awscredential"}

	kwCardExpiration = []string{"exp d", "exp m", "exp y", "expiration", "expiry"}
	kwCardStripe     = []string{"card data", "iso7813", "mag", "magstripe", "stripe", "swipe"}
	kwCardNumber     = []string{"account number", "american express", "amex", "bank card", "card", "card num", "card number", "cc #", "ccn", "check card", "credit", "credit card#", "dankort", "debit", "debit card", "diners club", "discover", "electron", "elo verification code", "japanese card bureau", "jcb", "mastercard", "mc", "pan", "payment account number", "payment card number", "pcn", "union pay", "visa"}
	kwCardCode       = []string{"card id", "card identification code", "card identification number", "card security code", "card validation code", "card validation number", "card verification data", "card verification value", "cvc", "cvc2", "cvv", "cvv2", "elo verification code"}

	kwBankCommon = []string{"account code", "account number", "accountno#", "accountnumber#", "bban", "customer account id", "customer account number", "customer bank account id", "iban"}
	kwBank       = map[string][]string{
		"FR": {"code bancaire", "compte bancaire", "numéro de compte"},
		"DE": {"bankleitzahl", "geheimzahl", "kartennummer", "kontonummer", "kreditkartennummer", "sepa"},
		"IT": {"codice bancario", "conto bancario", "numero di conto"},
		"ES": {"código cuenta", "código cuenta bancaria", "cuenta cliente id", "número cuenta bancaria cliente", "número cuenta cliente"},
		"GB": {"sepa"},
	}
	kwBankUS = []string{"bank account", "bank acct", "checking account", "checking acct", "deposit account", "deposit acct", "savings account", "savings acct", "chequing account", "chequing acct"}

	kwDEA   = []string{"dea number", "dea registration"}
	kwEHIC  = []string{"assicurazione sanitaria numero", "carta assicurazione numero", "carte d’assurance maladie", "carte européenne d'assurance maladie", "ceam", "ehic", "ehic#", "finlandehicnumber#", "gesundheitskarte", "hälsokort", "health card", "health card number", "health insurance card", "health insurance number", "insurance card number", "krankenversicherungskarte", "krankenversicherungsnummer", "medical account number", "numero conto medico", "numéro d’assurance maladie", "numéro de carte d’assurance", "numéro de compte medical", "número de cuenta médica", "número de seguro de salud", "número de tarjeta de seguro", "sairaanhoitokortin", "sairausvakuutuskortti", "sairausvakuutusnumero", "sjukförsäkring nummer", "sjukförsäkringskort", "suomi ehic-numero", "tarjeta de salud", "terveyskortti", "tessera sanitaria assicurazione numero", "versicherungsnummer", "finland health insurance card", "finska sjukförsäkringskort", "suomen sairausvakuutuskortti"}
	kwHICN  = []string{"health insurance claim number", "hic no", "hic no.", "hic number", "hic#", "hicn", "hicn#.", "hicno#"}
	kwHINFR = []string{"carte d'assuré social", "carte vitale", "insurance card"}
	kwHCPCS = []string{"current procedural terminology", "hcpcs", "healthcare common procedure coding system"}
	kwMBI   = []string{"mbi", "medicare beneficiary"}
	kwNDC   = []string{"national drug code", "ndc"}
	kwNPI   = []string{"hipaa", "n.p.i", "national provider", "npi"}
	kwNHS   = []string{"national health service", "nhs"}
	kwPHN   = []string{"canada healthcare number", "msp number", "personal healthcare number", "phn", "soins de santé"}

	kwDOB        = []string{"dob", "date of birth", "birthdate", "birth date", "birthday", "b-day", "bday"}
	kwCEP        = []string{"cep", "código de endereçamento postal", "codigo de endereçamento postal"}
	kwCNPJ       = []string{"cadastro nacional da pessoa jurídica", "cadastro nacional da pessoa juridica", "cnpj"}
	kwCPF        = []string{"cadastro de pessoas fisicas", "cadastro de pessoas físicas", "cadastro de pessoa física", "cadastro de pessoa fisica", "cpf"}
	kwElectoral  = []string{"electoral#", "electoral #", "electoralnumber", "electoral number", "electoralroll#", "electoral roll#", "electoral roll #", "electoral roll no.", "electoral roll number", "electoralrollno"}
	kwNINO       = []string{"insurance no.", "insurance number", "insurance#", "national insurance number", "nationalinsurance#", "nationalinsurancenumber", "nin", "nino"}
	kwPR         = []string{"carte résident permanent", "numéro carte résident permanent", "numéro résident permanent", "permanent resident card", "permanent resident card number", "permanent resident no", "permanent resident no.", "permanent resident number", "pr no", "pr no.", "pr non", "pr number", "résident permanent no.", "résident permanent non"}
	kwPhone      = []string{"cell", "contact", "fax", "fax number", "mobile", "phone", "phone number", "tel", "telephone", "telephone number"}
	kwPhoneBR    = []string{"cel", "celular", "fone", "móvel", "número residencial", "numero residencial", "telefone"}
	kwSIN        = []string{"canadian id", "numéro d'assurance sociale", "social insurance number", "sin"}
	kwSsnES      = []string{"número de la seguridad social", "social security no.", "social security number", "socialsecurityno#", "ssn", "ssn#"}
	kwSsnUS      = []string{"social security", "ss#", "ssn"}
	kwZip        = []string{"zip code", "zip+4"}
	kwLatLong    = []string{"coordinate", "coordinates", "lat long", "latitude longitude", "location", "position"}
	kwVIN        = []string{"fahrgestellnummer", "niv", "numarul de identificare", "numarul seriei de sasiu", "serie sasiu", "numer vin", "número de identificação do veículo", "número de identificación de automóviles", "numéro d'identification du véhicule", "vehicle identification number", "vin", "vin numeris"}
	kwNatIDBR    = []string{"registro geral", "rg"}
	kwNatIDFR    = []string{"assurance sociale", "carte nationale d’identité", "cni", "code sécurité sociale", "french social security number", "fssn#", "insee", "insurance number", "national id number", "nationalid#", "numéro d'assurance", "sécurité sociale", "sécurité sociale non.", "sécurité sociale numéro", "social", "social security", "social security number", "socialsecuritynumber", "ss#", "ssn", "ssn#"}
	kwNatIDDE    = []string{"ausweisnummer", "id number", "identification number", "identity number", "insurance number", "personal id", "personalausweis"}
	kwNatIDIT    = []string{"codice fiscal", "codice fiscale", "dati anagrafici", "ehic", "health card", "health insurance card", "p. iva", "partita i.v.a.", "personal data", "tax code", "tessera sanitaria"}
	kwNatIDES    = []string{"dni", "dni#", "dninúmero#", "documento nacional de identidad", "identidad único", "identidadúnico#", "insurance number", "national identification number", "national identity", "nationalid#", "nationalidno#", "número nacional identidad", "personal identification number", "personal identity no", "unique identity number", "uniqueid#"}
	kwTaxBR      = []string{"cadastro de pessoa física", "cadastro de pessoa fisica", "cadastro de pessoas físicas", "cadastro de pessoas fisicas", "cadastro nacional da pessoa jurídica", "cadastro nacional da pessoa juridica", "cnpj", "cpf"}
	kwTaxFR      = []string{"numéro d'identification fiscale", "tax id", "tax identification number", "tax number", "tin", "tin#"}
	kwTaxDE      = []string{"identifikationsnummer", "steuer id", "steueridentifikationsnummer", "steuernummer", "tax id", "tax identification number", "tax number"}
	kwTaxES      = []string{"cif", "cif número", "cifnúmero#", "nie", "nif", "número de contribuyente", "número de identidad de extranjero", "número de identificación fiscal", "número de impuesto corporativo", "personal tax number", "tax id", "tax identification number", "tax number", "tin", "tin#"}
	kwTaxGB      = []string{"paye", "tax id", "tax id no.", "tax id number", "tax identification", "tax identification#", "tax no.", "tax number", "tax reference", "tax#", "taxid#", "temporary reference number", "tin", "trn", "unique tax reference", "unique taxpayer reference", "utr"}
	kwTaxUS      = []string{"individual taxpayer identification number", "itin", "i.t.i.n."}
	kwPassportCA = []string{"passeport", "passeport#", "passport", "passport#", "passportno", "passportno#"}
	kwPassportFR = []string{"numéro de passeport", "passeport", "passeport#", "passeport #", "passeportn °", "passeport n °", "passeportnon", "passeport non"}
	kwPassportDE = []string{"ausstellungsdatum", "ausstellungsort", "geburtsdatum", "passport", "passports", "reisepass", "reisepass–nr", "reisepassnummer"}
	kwPassportIT = []string{"italian passport number", "numéro passeport", "numéro passeport italien", "passaporto", "passaporto italiana", "passaporto numero", "passport number", "repubblica italiana passaporto"}
	kwPassportES = []string{"españa pasaporte", "libreta pasaporte", "número pasaporte", "pasaporte", "passport", "passport book", "passport no", "passport number", "spain passport"}
	kwPassportGB = []string{"passeport #", "passeport n °", "passeportnon", "passeport non", "passeportn °", "passport #", "passport no", "passport number", "passport#", "passportid"}
	kwPassportUS = []string{"passport", "travel document"}
)

// kwDLEnglish is the driver's licence list AWS gives for the UK, the US and
// (with a few French additions) Canada and Australia.
var kwDLEnglish = []string{"dl#", "dl:", "dlno#", "driver licence", "driver licences", "driver license", "driver licenses", "driver permit", "drivers lic.", "drivers licence", "driver's licence", "drivers licences", "driver's licences", "drivers license", "driver's license", "drivers licenses", "driver's licenses", "drivers permit", "driver's permit", "drivers permit number", "driving licence", "driving license", "driving permit"}

var kwDLGerman = []string{"fuehrerschein", "fuehrerschein- nr", "fuehrerscheinnummer", "fuhrerschein", "führerschein", "fuhrerschein- nr", "führerschein- nr", "fuhrerscheinnummer", "führerscheinnummer"}

// kwDL holds the per-country keywords for DriversLicense-XX.
var kwDL = map[string][]string{
	"AU": append([]string{"dl :"}, kwDLEnglish...),
	"AT": {"führerschein", "fuhrerschein", "führerschein republik österreich", "fuhrerschein republik osterreich"},
	"BE": append([]string{"numéro permis conduire", "permis de conduire", "rijbewijs", "rijbewijsnummer"}, kwDLGerman...),
	"BG": {"превозно средство", "свидетелство за управление на моторно", "свидетелство за управление на мпс", "сумпс", "шофьорска книжка"},
	"CA": append([]string{"permis de conduire"}, kwDLEnglish...),
	"HR": {"vozačka dozvola"},
	"CY": {"άδεια οδήγησης"},
	"CZ": {"číslo licence", "císlo licence řidiče", "číslo řidičského průkazu", "ovladače lic.", "povolení k jízdě", "povolení řidiče", "řidiči povolení", "řidičský prúkaz", "řidičský průkaz"},
	"DK": {"kørekort", "kørekortnummer"},
	"EE": {"juhi litsentsi number", "juhiloa number", "juhiluba", "juhiluba number"},
	"FI": {"ajokortin numero", "ajokortti", "förare lic.", "körkort", "körkort nummer", "kuljettaja lic.", "permis de conduire"},
	"FR": {"permis de conduire"},
	"DE": kwDLGerman,
	"GR": {"δεια οδήγησης", "adeia odigisis"},
	"HU": {"illesztőprogramok lic", "jogosítvány", "jogsi", "licencszám", "vezető engedély", "vezetői engedély"},
	"IE": {"ceadúnas tiomána"},
	"IT": {"patente di guida", "patente di guida numero", "patente guida", "patente guida numero"},
	"LV": {"autovadītāja apliecība", "licences numurs", "vadītāja apliecība", "vadītāja apliecības numurs", "vadītāja atļauja", "vadītāja licences numurs", "vadītāji lic."},
	"LT": {"vairuotojo pažymėjimas"},
	"LU": {"fahrerlaubnis", "führerschäin"},
	"MT": {"liċenzja tas-sewqan"},
	"NL": {"permis de conduire", "rijbewijs", "rijbewijsnummer"},
	"PL": {"numer licencyjny", "prawo jazdy", "zezwolenie na prowadzenie"},
	"PT": {"carta de condução", "carteira de habilitação", "carteira de motorist", "carteira habilitação", "carteira motorist", "licença condução", "licença de condução", "número de licença", "número licença", "permissão condução", "permissão de condução"},
	"RO": {"numărul permisului de conducere", "permis de conducere"},
	"SK": {"číslo licencie", "číslo vodičského preukazu", "ovládače lic.", "povolenia vodičov", "povolenie jazdu", "povolenie na jazdu", "povolenie vodiča", "vodičský preukaz"},
	"SI": {"vozniško dovoljenje"},
	"ES": {"carnet conducer", "el carnet de conducer", "licencia conducer", "licencia de manejo", "número carnet conducer", "número de carnet de conducer", "número de permiso conducer", "número de permiso de conducer", "número licencia conducer", "número permiso conducer", "permiso conducción", "permiso conducer", "permiso de conducción"},
	"SE": {"ajokortin numero", "dlno#", "ajokortti", "drivere lic.", "förare lic.", "körkort", "körkort nummer", "körkortsnummer", "kuljettajat lic."},
	"GB": kwDLEnglish,
	"US": kwDLEnglish,
}

// streetWords are the street-type words (full and abbreviated) that anchor
// the Address detector. They are Vigil's own list, English, French, German,
// Italian and Spanish, chosen for the address shapes addressShape accepts.
var streetWords = []string{
	"street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "lane", "ln",
	"drive", "dr", "court", "ct", "place", "pl", "terrace", "ter", "way", "parkway", "pkwy",
	"highway", "hwy", "circle", "cir", "square", "sq", "trail", "trl", "crescent", "cres",
	"close", "grove", "gardens", "row", "mews", "hill", "walk", "alley", "plaza", "loop", "pike",
	"strasse", "straße", "str", "weg", "allee", "platz", "gasse", "ring",
	"rue", "chemin", "impasse", "quai", "allée",
	"via", "viale", "piazza", "corso", "calle", "avenida", "paseo", "plaza", "carrer", "rua",
}
