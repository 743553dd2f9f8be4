package dataprotect

import (
	"fmt"
	"regexp/syntax"
	"sort"
	"strings"
	"testing"
)

// idCase is one table entry: text in which identifier name must find
// exactly want (or nothing when want is "").
type idCase struct {
	name, text, want string
}

var idCases = []idCase{
	// Credentials.
	{"AwsSecretKey", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
	{"AwsSecretKey", `{"SecretAccessKey": "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNk"}`, "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNk"},
	{"AwsSecretKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY with no keyword", ""},
	{"AwsSecretKey", "secret key: 0123456789abcdef0123456789abcdef01234567", ""}, // hex, not base64 with mixed case
	{"AwsAccessKeyId", "key id AKIAIOSFODNN7EXAMPLE in the log", "AKIAIOSFODNN7EXAMPLE"},
	{"AwsAccessKeyId", "ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"},
	{"AwsAccessKeyId", "AKIAIOSFODNN7EXAMPLEX is too long", ""},
	{"AwsAccessKeyId", "Asia Pacific (Tokyo)", ""},
	{"OpenSshPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----"},
	{"OpenSshPrivateKey", "-----BEGIN OPENSSH PUBLIC KEY-----\nAAAA\n-----END OPENSSH PUBLIC KEY-----", ""},
	{"PgpPrivateKey", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0=\n-----END PGP PRIVATE KEY BLOCK-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0=\n-----END PGP PRIVATE KEY BLOCK-----"},
	{"PgpPrivateKey", "-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQINBF0=\n-----END PGP PUBLIC KEY BLOCK-----", ""},
	{"PkcsPrivateKey", "x -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"},
	{"PkcsPrivateKey", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----"},
	{"PkcsPrivateKey", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIB\n-----END CERTIFICATE-----", ""},
	{"PuttyPrivateKey", "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 1\nAAAA\nPrivate-MAC: 3ce9a1\n", "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPrivate-Lines: 1\nAAAA\nPrivate-MAC: 3ce9a1"},
	{"PuttyPrivateKey", "the PuTTY user guide", ""},

	// Device.
	{"IpAddress", "client 203.0.113.42 connected", "203.0.113.42"},
	{"IpAddress", "from 2001:db8::8a2e:370:7334.", "2001:db8::8a2e:370:7334"},
	{"IpAddress", "version 1.2.3 at 12:30:45", ""},
	{"IpAddress", "999.1.1.1", ""},
	{"IpAddress", "mac 00:1a:2b:3c:4d:5e", ""},

	// Financial.
	{"BankAccountNumber-DE", "IBAN: DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"},
	{"BankAccountNumber-DE", "IBAN: DE89 3704 0044 0532 0130 01", ""},
	{"BankAccountNumber-GB", "iban GB82WEST12345698765432", "GB82WEST12345698765432"},
	{"BankAccountNumber-FR", "numéro de compte FR1420041010050500013M02606", "FR1420041010050500013M02606"},
	{"BankAccountNumber-ES", "IBAN ES9121000418450200051332", "ES9121000418450200051332"},
	{"BankAccountNumber-IT", "IBAN IT60X0542811101000000123456", "IT60X0542811101000000123456"},
	{"BankAccountNumber-IT", "IT60X0542811101000000123456 with no keyword", ""},
	{"BankAccountNumber-US", "checking account 000123456789", "000123456789"},
	{"BankAccountNumber-US", "order 000123456789", ""},
	{"BankAccountNumber-US", "Savings Acct: 123456789", "123456789"},
	{"BankAccountNumber-US", `{"bank_account": "98765432101234567"}`, "98765432101234567"},
	{"BankAccountNumber-US", "bank account 12345678", ""},                                            // 8 digits: too short
	{"BankAccountNumber-US", "bank account 123456789012345678", ""},                                  // 18 digits: too long
	{"BankAccountNumber-US", "deposit account GB82WEST12345698765432", ""},                           // digits inside an IBAN
	{"BankAccountNumber-US", "checking account (see the statement attached below) 000123456789", ""}, // keyword more than 30 characters before
	{"BankAccountNumber-GB", "IBAN GB82 WEST 1234 5698 7654 32", "GB82 WEST 1234 5698 7654 32"},
	{"BankAccountNumber-GB", "iban GB83WEST12345698765432", ""}, // check digits wrong
	{"BankAccountNumber-GB", "iban DE89370400440532013000", ""}, // a German IBAN
	{"BankAccountNumber-DE", "Kontonummer: DE89370400440532013000", "DE89370400440532013000"},
	{"BankAccountNumber-ES", "Código Cuenta ES91 2100 0418 4502 0005 1332", "ES91 2100 0418 4502 0005 1332"},
	{"BankAccountNumber-FR", "IBAN FR14 2004 1010 0505 0001 3M02 606", "FR14 2004 1010 0505 0001 3M02 606"},
	{"BankAccountNumber-IT", "conto bancario: IT60 X054 2811 1010 0000 0123 456", "IT60 X054 2811 1010 0000 0123 456"},
	{"CreditCardExpiration", "expiry 09/27", "09/27"},
	{"CreditCardExpiration", "expiration: 11-2029", "11-2029"},
	{"CreditCardExpiration", "expiry 13/27", ""},
	{"CreditCardMagneticStripe", "swipe %B4539894458086459^DOE/JOHN^2709101000000000?", "%B4539894458086459^DOE/JOHN^2709101000000000?"},
	{"CreditCardMagneticStripe", "track ;4539894458086459=27091010000000?", ""},
	{"CreditCardNumber", "My credit card number is 4539894458086459", "4539894458086459"},
	{"CreditCardNumber", "visa: 4539 8944 5808 6459 exp 09/27", "4539 8944 5808 6459"},
	{"CreditCardNumber", "amex 3782-8224-6310-008", ""}, // Luhn fails (last digit changed)
	{"CreditCardNumber", "card 4111111111111111", ""},   // an issuer's public test number
	{"CreditCardNumber", "order 4539894458086459", ""},  // no keyword
	{"CreditCardNumber", "card 4539-8944 5808-6459", ""},
	{"CreditCardSecurityCode", "CVV: 123", "123"},
	{"CreditCardSecurityCode", "CVV: 12345", ""},

	// Health.
	{"DrugEnforcementAgencyNumber-US", "DEA number AB1234563", "AB1234563"},
	{"DrugEnforcementAgencyNumber-US", "DEA number AB1234564", ""},
	{"HealthcareProcedureCode-US", "HCPCS code E0114", "E0114"},
	{"HealthInsuranceCardNumber-EU", "EHIC 80380000012345678901", "80380000012345678901"},
	{"HealthInsuranceClaimNumber-US", "HICN 123-45-6789A", "123-45-6789A"},
	{"HealthInsuranceNumber-FR", "carte vitale 1 85 05 78 006 084 91", "1 85 05 78 006 084 91"},
	{"HealthInsuranceNumber-FR", "carte vitale 1 85 05 78 006 084 92", ""},
	{"MedicareBeneficiaryNumber-US", "MBI 1EG4-TE5-MK73", "1EG4-TE5-MK73"},
	{"MedicareBeneficiaryNumber-US", "MBI 1EG4-TE5-MK7", ""},
	{"NationalDrugCode-US", "NDC 0002-3227-30", "0002-3227-30"},
	{"NationalProviderId-US", "NPI: 1234567893", "1234567893"},
	{"NationalProviderId-US", "NPI: 1234567890", ""},
	{"NhsNumber-GB", "NHS number 943 476 5919", "943 476 5919"},
	{"NhsNumber-GB", "NHS number 943 476 5918", ""},
	{"PersonalHealthNumber-CA", "PHN 9876543218", "9876543218"},

	// Personal.
	{"Address", "Ship to 123 Main St, Springfield, IL 62704 by Friday.", "123 Main St, Springfield, IL 62704"},
	{"Address", "Office: 10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA"},
	{"Address", "bureau: 12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"},
	{"Address", "Via Roma 10, 00184 Roma", "Via Roma 10, 00184 Roma"},
	{"Address", "1600 Pennsylvania Avenue NW\nWashington, DC 20500", "1600 Pennsylvania Avenue NW\nWashington, DC 20500"},
	{"Address", "the best way to go is Main Street", ""},
	{"Address", "123 Main St is closed", ""},
	{"CepCode-BR", "CEP 01310-100", "01310-100"},
	{"Cnpj-BR", "CNPJ 11.222.333/0001-81", "11.222.333/0001-81"},
	{"Cnpj-BR", "CNPJ 11.222.333/0001-82", ""},
	{"CpfCode-BR", "CPF: 529.982.247-25", "529.982.247-25"},
	{"CpfCode-BR", "CPF: 529.982.247-26", ""},
	{"DateOfBirth", "DOB: 1985-04-12", "1985-04-12"},
	{"DateOfBirth", "date of birth 12 April 1985", "12 April 1985"},
	{"DateOfBirth", "birthday: 31/13/1985", ""},
	{"DateOfBirth", "created 1985-04-12", ""},
	{"DriversLicense-US", "driver's license: D1234567", "D1234567"},
	{"DriversLicense-US", "license D1234567", ""},
	{"DriversLicense-GB", "driving licence MORGA657054SM9IJ", "MORGA657054SM9IJ"},
	{"DriversLicense-DE", "Führerschein B072RRE2I55", "B072RRE2I55"},
	{"DriversLicense-ES", "permiso de conducción 12345678Z", "12345678Z"},
	{"DriversLicense-FI", "ajokortti 131052-308T", "131052-308T"},
	{"DriversLicense-SE", "körkort 811228-9874", "811228-9874"},
	{"DriversLicense-FR", "permis de conduire 123456789012", "123456789012"},
	{"DriversLicense-IT", "patente di guida U1A123456B", "U1A123456B"},
	{"DriversLicense-BG", "шофьорска книжка 123456789", "123456789"},
	{"DriversLicense-CY", "ΆΔΕΙΑ ΟΔΉΓΗΣΗΣ 123456", "123456"},
	{"ElectoralRollNumber-GB", "electoral roll number: ABC 1234", "ABC 1234"},
	{"EmailAddress", "write to jane.doe+sns@mail.example.co.uk today", "jane.doe+sns@mail.example.co.uk"},
	{"EmailAddress", "user@localhost or @handle", ""},
	{"IndividualTaxIdentificationNumber-US", "ITIN 912-70-1234", "912-70-1234"},
	{"IndividualTaxIdentificationNumber-US", "ITIN 912-45-1234", ""},
	{"InseeCode-FR", "INSEE 1 85 05 78 006 084 91", "1 85 05 78 006 084 91"},
	{"LatLong", "location: 41.948614,-87.655311", "41.948614,-87.655311"},
	{"LatLong", "location: 141.948614,-87.655311", ""},
	{"Name", "Approved by Jeremy Stieglitz yesterday", "Jeremy Stieglitz"},
	{"Name", "Contact Mary-Jane O'Neil now", "Mary-Jane O'Neil"},
	{"Name", "Koen van Blijderveen wrote", "Koen van Blijderveen"},
	{"Name", "Will Return soon; May Day; the SAM CLI", ""},
	{"NationalIdentificationNumber-DE", "Personalausweis T220001293", "T220001293"},
	{"NationalIdentificationNumber-DE", "Personalausweis T220001294", ""},
	{"NationalIdentificationNumber-ES", "DNI 12345678Z", "12345678Z"},
	{"NationalIdentificationNumber-ES", "DNI 12345678A", ""},
	{"NationalIdentificationNumber-IT", "codice fiscale RSSMRA85T10A562S", "RSSMRA85T10A562S"},
	{"NationalIdentificationNumber-IT", "codice fiscale RSSMRA85T10A562T", ""},
	{"NationalInsuranceNumber-GB", "NINO: AB 12 34 56 C", "AB 12 34 56 C"},
	{"NationalInsuranceNumber-GB", "NINO: GB 12 34 56 C", ""},
	{"NieNumber-ES", "NIE X1234567L", "X1234567L"},
	{"NieNumber-ES", "NIE X1234567M", ""},
	{"NifNumber-ES", "NIF 12345678Z", "12345678Z"},
	{"PassportNumber-US", "passport: 123456789", "123456789"},
	{"PassportNumber-US", "ticket: 123456789", ""},
	{"PassportNumber-CA", "passport AB123456", "AB123456"},
	{"PassportNumber-DE", "Reisepass C01X00T478", "C01X00T478"},
	{"PassportNumber-ES", "pasaporte XDA123456", "XDA123456"},
	{"PassportNumber-FR", "passeport 12AB34567", "12AB34567"},
	{"PassportNumber-GB", "passport number 123456789", "123456789"},
	{"PassportNumber-IT", "passaporto YA1234567", "YA1234567"},
	{"PermanentResidenceNumber-CA", "PR number PA1234567", "PA1234567"},
	{"PhoneNumber-US", "phone: (206) 555-0142", "(206) 555-0142"},
	{"PhoneNumber-US", "call +1 206 555 0142 now", "+1 206 555 0142"},
	{"PhoneNumber-US", "phone: (206) 155-0142", ""},
	{"PhoneNumber-US", "order 206 555 0142", ""},
	{"PhoneNumber-GB", "tel 020 7946 0958", "020 7946 0958"},
	{"PhoneNumber-GB", "+44 (0)20 7946 0958", "+44 (0)20 7946 0958"},
	{"PhoneNumber-DE", "Telefon +49 30 1234567", "+49 30 1234567"},
	{"PhoneNumber-FR", "tel 01 23 45 67 89", "01 23 45 67 89"},
	{"PhoneNumber-ES", "mobile 612 345 678", "612 345 678"},
	{"PhoneNumber-IT", "cell 347 123 4567", "347 123 4567"},
	{"PhoneNumber-BR", "celular (11) 91234-5678", "(11) 91234-5678"},
	{"PhoneNumber", "contact +33 1 23 45 67 89", "+33 1 23 45 67 89"},
	{"PostalCode-CA", "Ottawa ON K1A 0B1", "K1A 0B1"},
	{"PostalCode-CA", "code D1A 0B1 or k1a 0b1", ""},
	{"RgNumber-BR", "RG 24.678.131-2", "24.678.131-2"},
	{"RgNumber-BR", "RG 24.678.131-3", ""},
	{"SocialInsuranceNumber-CA", "SIN 046 454 286", "046 454 286"},
	{"SocialInsuranceNumber-CA", "SIN 046 454 287", ""},
	{"Ssn-ES", "número de la seguridad social 28/12345678/40", "28/12345678/40"},
	{"Ssn-ES", "ssn 28/12345678/41", ""},
	{"Ssn-US", "SSN: 123-45-6789", "123-45-6789"},
	{"Ssn-US", "ssn 123456789", "123456789"},
	{"Ssn-US", "SSN: 666-45-6789", ""},
	{"Ssn-US", "SSN: 123-45 6789", ""},
	{"Ssn-US", "tracking 123-45-6789", ""},
	{"TaxId-DE", "Steuer-ID 86095742719", "86095742719"},
	{"TaxId-DE", "Steuer-ID 86095742718", ""},
	{"TaxId-ES", "CIF A58818501", "A58818501"},
	{"TaxId-FR", "tax id 30 23 217 600 053", "30 23 217 600 053"},
	{"TaxId-GB", "UTR 12345 67890", "12345 67890"},
	{"VehicleIdentificationNumber", "VIN 1HGCM82633A004352", "1HGCM82633A004352"},
	{"VehicleIdentificationNumber", "VIN 1HGCM82633A004353", ""},
	{"ZipCode-US", "zip code 98101-2345", "98101-2345"},
	{"ZipCode-US", "room 98101", ""},
}

func TestManagedIdentifiers(t *testing.T) {
	for i, c := range idCases {
		t.Run(fmt.Sprintf("%s/%d", c.name, i), func(t *testing.T) {
			id, ok := LookupManaged(c.name)
			if !ok {
				t.Fatalf("no managed identifier %s", c.name)
			}
			s, err := NewScanner(id)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range s.FindText([]byte(c.text)) {
				got = append(got, c.text[m.Start:m.End])
			}
			want := []string{}
			if c.want != "" {
				want = []string{c.want}
			}
			if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
				t.Errorf("FindText(%q) = %q, want %q", c.text, got, want)
			}
		})
	}
}

// TestEveryIdentifierTested keeps the table complete: each managed
// identifier needs a true positive.
func TestEveryIdentifierTested(t *testing.T) {
	positive := map[string]bool{}
	for _, c := range idCases {
		if c.want != "" {
			positive[c.name] = true
		}
	}
	var missing []string
	for _, id := range ManagedIdentifiers() {
		if !positive[id.Name] && !strings.HasPrefix(id.Name, "DriversLicense-") {
			missing = append(missing, id.Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("identifiers without a true-positive case: %s", strings.Join(missing, ", "))
	}
}

func TestManagedTable(t *testing.T) {
	specs := managedSpecs()
	all := ManagedIdentifiers()
	if len(specs) != len(all) {
		t.Errorf("managed table has duplicate names: %d specs, %d identifiers", len(specs), len(all))
	}
	for _, id := range all {
		if id.ARN != ARNPrefix+id.Name && !id.Extension {
			t.Errorf("%s: ARN %s", id.Name, id.ARN)
		}
		if id.det == nil && id.trigs == 0 {
			t.Errorf("%s: no detector", id.Name)
		}
		if id.det != nil && len(id.Keywords) == 0 {
			t.Errorf("%s: keyword-gated without keywords", id.Name)
		}
		if got, ok := LookupManaged(id.ARN); !ok || got != id {
			t.Errorf("LookupManaged(%s) failed", id.ARN)
		}
	}
	// AWS's documented ARNs (SNS message data protection) must all exist.
	for _, n := range strings.Fields(awsDocumentedNames) {
		if _, ok := LookupManaged(ARNPrefix + n); !ok {
			t.Errorf("AWS documents %s, Vigil lacks it", n)
		}
	}
}

const awsDocumentedNames = `AwsSecretKey OpenSshPrivateKey PgpPrivateKey PkcsPrivateKey PuttyPrivateKey IpAddress
BankAccountNumber-DE BankAccountNumber-ES BankAccountNumber-FR BankAccountNumber-GB BankAccountNumber-IT BankAccountNumber-US
CreditCardExpiration CreditCardNumber CreditCardSecurityCode
DrugEnforcementAgencyNumber-US HealthcareProcedureCode-US HealthInsuranceCardNumber-EU HealthInsuranceClaimNumber-US
HealthInsuranceNumber-FR MedicareBeneficiaryNumber-US NationalDrugCode-US NationalInsuranceNumber-GB NationalProviderId-US
NhsNumber-GB PersonalHealthNumber-CA Address CepCode-BR Cnpj-BR CpfCode-BR
DriversLicense-AT DriversLicense-AU DriversLicense-BE DriversLicense-BG DriversLicense-CA DriversLicense-CY DriversLicense-CZ
DriversLicense-DE DriversLicense-DK DriversLicense-EE DriversLicense-ES DriversLicense-FI DriversLicense-FR DriversLicense-GB
DriversLicense-GR DriversLicense-HR DriversLicense-HU DriversLicense-IE DriversLicense-IT DriversLicense-LT DriversLicense-LU
DriversLicense-LV DriversLicense-MT DriversLicense-NL DriversLicense-PL DriversLicense-PT DriversLicense-RO DriversLicense-SE
DriversLicense-SI DriversLicense-SK DriversLicense-US ElectoralRollNumber-GB EmailAddress IndividualTaxIdentificationNumber-US
InseeCode-FR LatLong Name NationalIdentificationNumber-DE NationalIdentificationNumber-ES NationalIdentificationNumber-IT
NieNumber-ES NifNumber-ES PassportNumber-CA PassportNumber-DE PassportNumber-ES PassportNumber-FR PassportNumber-GB
PassportNumber-IT PassportNumber-US PermanentResidenceNumber-CA PhoneNumber PhoneNumber-BR PhoneNumber-DE PhoneNumber-ES
PhoneNumber-FR PhoneNumber-GB PhoneNumber-IT PhoneNumber-US PostalCode-CA RgNumber-BR SocialInsuranceNumber-CA Ssn-ES Ssn-US
TaxId-DE TaxId-ES TaxId-FR TaxId-GB VehicleIdentificationNumber ZipCode-US`

// TestRegexPrefilter checks the shortest-match length and the alphabet
// that reFinder uses to skip candidates without running the expression.
func TestRegexPrefilter(t *testing.T) {
	for _, c := range []struct {
		expr    string
		min     int
		in, out string // bytes inside and outside the alphabet
	}{
		{`\d{9,17}`, 9, "0123456789", "a -"},
		{`DE\d{2}(?: ?\d){18}`, 22, "DE 09", "F-a"},
		{`\d{5}(?:-\d{4})?`, 5, "0-9", " a"},
		{`[A-Z]{2}\d{6}|\d{4}`, 4, "AZ09", "a "},
		{`(?i)(?:jan|feb) \d`, 5, "JjAaNnFfEeBb 0", "cx"},
		{`x*y?`, 0, "xy", "z"},
	} {
		tree, err := syntax.Parse(c.expr, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		tree = tree.Simplify()
		var set [256]bool
		alphabet(tree, &set)
		if got := minLength(tree); got != c.min {
			t.Errorf("minLength(%s) = %d, want %d", c.expr, got, c.min)
		}
		for _, b := range []byte(c.in) {
			if !set[b] {
				t.Errorf("alphabet(%s) lacks %q", c.expr, b)
			}
		}
		for _, b := range []byte(c.out) {
			if set[b] {
				t.Errorf("alphabet(%s) has %q", c.expr, b)
			}
		}
	}
}
