package dataprotect

import (
	"regexp"
	"regexp/syntax"
	"sort"
)

// The managed data identifiers: AWS's names, categories, countries and
// keywords (from the SNS and CloudWatch Logs documentation), with Vigil's
// detection rules. AWS does not publish its expressions; the shapes and
// check digits here follow each number's public specification.

// rx builds a reFinder. lead is the greatest offset of a match's first digit
// (-1 when a match need not contain one).
func rx(expr string, maxLen, lead int, b bound, strip string, check func([]byte) bool) *reFinder {
	f := &reFinder{re: regexp.MustCompile(`^(?:` + expr + `)`), maxLen: maxLen, lead: lead, bound: b, strip: strip, check: check}
	if tree, err := syntax.Parse(expr, syntax.Perl); err == nil {
		tree = tree.Simplify()
		f.first, _ = firstBytes(tree)
		alphabet(tree, &f.alpha)
		f.minLen = minLength(tree)
		f.dfa = newDFA(tree)
	}
	return f
}

func managedSpecs() []*Identifier {
	var ids []*Identifier
	add := func(name string, cat Category, country string, kw []string, f finder) *Identifier {
		id := &Identifier{Name: name, Category: cat, Country: country, Keywords: kw, det: f}
		ids = append(ids, id)
		return id
	}
	trig := func(name string, cat Category, t triggerMask) *Identifier {
		id := &Identifier{Name: name, Category: cat, trigs: t}
		ids = append(ids, id)
		return id
	}

	// Credentials.
	add("AwsSecretKey", Credentials, "", kwAwsSecret, rx(`[A-Za-z0-9/+]{40}`, 40, 40, bndB64, "", mixedBase64))
	trig("OpenSshPrivateKey", Credentials, tgArmor)
	trig("PgpPrivateKey", Credentials, tgArmor)
	trig("PkcsPrivateKey", Credentials, tgArmor)
	trig("PuttyPrivateKey", Credentials, tgPutty)
	ak := trig("AwsAccessKeyId", Credentials, tgAKID)
	ak.Extension = true
	ak.ARN = "arn:aws:dataprotection::vigil:data-identifier/AwsAccessKeyId"

	// Device.
	trig("IpAddress", Device, tgIPv4|tgIPv6)

	// Financial. The European BankAccountNumber identifiers find IBANs
	// (ISO 13616): the country's prefix, two check digits, then the
	// country's fixed-length basic account number, compact or in printed
	// groups, and the mod-97 check must hold.
	for _, c := range []struct{ cc, expr string }{
		{"DE", `DE\d{2}(?: ?\d){18}`},
		{"ES", `ES\d{2}(?: ?\d){20}`},
		{"FR", `FR\d{2}(?: ?[0-9A-Z]){23}`},
		{"GB", `GB\d{2} ?[A-Z]{4}(?: ?\d){14}`},
		{"IT", `IT\d{2} ?[A-Z](?: ?[0-9A-Z]){22}`},
	} {
		kw := append(append([]string{}, kwBankCommon...), kwBank[c.cc]...)
		add("BankAccountNumber-"+c.cc, Financial, c.cc, kw, rx(c.expr, 40, 2, bndAlnum, " ", ibanValid))
	}
	// US (and Canadian) account numbers have no national structure or
	// check digit: 9 to 17 digits without spaces, as Macie describes them,
	// next to one of the account keywords. Letters may not touch them, so a
	// run of digits inside an IBAN is not one.
	add("BankAccountNumber-US", Financial, "US", kwBankUS, rx(`\d{9,17}`, 17, 0, bndAlnum, "", nil))
	add("CreditCardExpiration", Financial, "", kwCardExpiration, rx(`(?:0?[1-9]|1[0-2]) ?[/-] ?(?:20)?\d{2}`, 9, 0, bndDigit, "", nil))
	add("CreditCardMagneticStripe", Financial, "", kwCardStripe, rx(`%?B\d{13,19}\^[A-Za-z /.]{2,26}\^\d{7,}\??|;?\d{13,19}=\d{7,}\??`, 120, 2, bndNone, "", nil))
	add("CreditCardNumber", Financial, "", kwCardNumber, cardFinder{})
	add("CreditCardSecurityCode", Financial, "", kwCardCode, rx(`\d{3,4}`, 4, 0, bndDigit, "", nil))

	// Health.
	add("DrugEnforcementAgencyNumber-US", Health, "US", kwDEA, rx(`[A-Za-z][A-Za-z9]\d{7}`, 9, 2, bndAlnum, "", deaValid))
	add("HealthcareProcedureCode-US", Health, "US", kwHCPCS, rx(`[A-V]\d{4}|\d{4}[0-9FTU]`, 5, 1, bndAlnum, "", nil))
	add("HealthInsuranceCardNumber-EU", Health, "EU", kwEHIC, rx(`\d{20}|[A-Z]{0,4}\d{8,20}`, 24, 4, bndAlnum, "", nil))
	add("HealthInsuranceClaimNumber-US", Health, "US", kwHICN, rx(`\d{3}-?\d{2}-?\d{4} ?[A-Z][0-9A-Z]?|[A-Z]{1,3}\d{6}(?:\d{3})?`, 14, 3, bndAlnum, "", nil))
	add("HealthInsuranceNumber-FR", Health, "FR", kwHINFR, rx(`[1278] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}`, 21, 0, bndAlnum, " ", inseeValid))
	add("MedicareBeneficiaryNumber-US", Health, "US", kwMBI, rx(`[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}`, 13, 0, bndAlnum, "", nil))
	add("NationalDrugCode-US", Health, "US", kwNDC, rx(`\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2}|\d{10,11}`, 13, 0, bndDigit, "", nil))
	add("NationalProviderId-US", Health, "US", kwNPI, rx(`\d{10}`, 10, 0, bndDigit, "", npiValid))
	add("NhsNumber-GB", Health, "GB", kwNHS, rx(`\d{3}[ -]?\d{3}[ -]?\d{4}`, 12, 0, bndDigit, " -", nhsValid))
	add("PersonalHealthNumber-CA", Health, "CA", kwPHN, rx(`\d{4}[ -]?\d{3}[ -]?\d{3}(?:[ -]?[A-Z]{2})?|[A-Z]{4} ?\d{4} ?\d{4}`, 16, 5, bndAlnum, " -", phnOK))

	// Personal.
	trig("Address", Personal, tgStreet)
	add("CepCode-BR", Personal, "BR", kwCEP, rx(`\d{5}-?\d{3}`, 9, 0, bndDigit, "", nil))
	add("Cnpj-BR", Personal, "BR", kwCNPJ, rx(`\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}`, 18, 0, bndDigit, "./-", cnpjValid))
	add("CpfCode-BR", Personal, "BR", kwCPF, rx(`\d{3}\.?\d{3}\.?\d{3}-?\d{2}`, 14, 0, bndDigit, ".-", cpfValid))
	add("DateOfBirth", Personal, "", kwDOB, dobFinder)
	for cc, f := range driversLicenses() {
		add("DriversLicense-"+cc, Personal, cc, kwDL[cc], f)
	}
	add("ElectoralRollNumber-GB", Personal, "GB", kwElectoral, rx(`[A-Z]{2,3}[ -]?\d{1,5}`, 10, 4, bndAlnum, "", nil))
	trig("EmailAddress", Personal, tgEmail)
	add("IndividualTaxIdentificationNumber-US", Personal, "US", kwTaxUS, rx(`9\d{2}[- ]?(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])[- ]?\d{4}`, 11, 0, bndDigit, "", sameSeparators))
	add("InseeCode-FR", Personal, "FR", kwNatIDFR, rx(`[1278] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}(?: ?\d{2})?`, 21, 0, bndAlnum, " ", inseeOK))
	add("LatLong", Personal, "", kwLatLong, rx(`[-+]?(?:90(?:\.0+)?|[1-8]?\d\.\d{2,})\s?,\s?[-+]?(?:180(?:\.0+)?|(?:1[0-7]\d|[1-9]?\d)\.\d{2,})`, 40, 1, bndDigit, "", nil))
	trig("Name", Personal, tgName)
	add("NationalIdentificationNumber-DE", Personal, "DE", kwNatIDDE, rx(`[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\d?`, 10, 9, bndAlnum, "", germanIDOK))
	add("NationalIdentificationNumber-ES", Personal, "ES", kwNatIDES, rx(`\d{8}-?[A-Za-z]`, 10, 0, bndAlnum, "-", dniValid))
	add("NationalIdentificationNumber-IT", Personal, "IT", kwNatIDIT, rx(`[A-Za-z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-Ta-ehlmpr-t][0-9LMNPQRSTUV]{2}[A-Za-z][0-9LMNPQRSTUV]{3}[A-Za-z]`, 16, -1, bndAlnum, "", codiceFiscaleValid))
	add("NationalInsuranceNumber-GB", Personal, "GB", kwNINO, rx(`[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]`, 13, 3, bndAlnum, " ", ninoOK))
	add("NieNumber-ES", Personal, "ES", kwTaxES, rx(`[XYZxyz]-?\d{7}-?[A-Za-z]`, 11, 2, bndAlnum, "-", nieValid))
	add("NifNumber-ES", Personal, "ES", kwTaxES, rx(`\d{8}-?[A-Za-z]|[KLMklm]-?\d{7}-?[A-Za-z]`, 11, 2, bndAlnum, "-", nifOK))
	for _, p := range []struct{ cc, expr string }{
		{"CA", `[A-Z]{2}\d{6}`},
		{"DE", `[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}\d?`},
		{"ES", `[A-Z]{2,3}\d{6}`},
		{"FR", `\d{2}[A-Z]{2}\d{5}`},
		{"GB", `\d{9}`},
		{"IT", `[A-Z]{2}\d{7}`},
		{"US", `\d{9}|[A-Z]\d{8}`},
	} {
		check := atLeastOneDigit
		if p.cc == "DE" {
			check = germanIDOK
		}
		add("PassportNumber-"+p.cc, Personal, p.cc, passportKeywords[p.cc], rx(p.expr, 10, 9, bndAlnum, "", check))
	}
	add("PermanentResidenceNumber-CA", Personal, "CA", kwPR, rx(`[A-Z]{2}\d{7,10}|\d{4}-\d{4}|\d{8}|\d{10}`, 12, 2, bndAlnum, "", nil))
	phone := func(name, cc string, kw []string, countries ...string) {
		id := add(name, Personal, cc, kw, phoneFinder{countries})
		id.trigs = tgPlus
		id.phoneCC = countries
	}
	phone("PhoneNumber", "", append(append([]string{}, kwPhone...), kwPhoneBR...), "US", "GB", "DE", "FR", "ES", "IT", "BR")
	for _, cc := range []string{"BR", "DE", "ES", "FR", "GB", "IT", "US"} {
		kw := kwPhone
		if cc == "BR" {
			kw = append(append([]string{}, kwPhone...), kwPhoneBR...)
		}
		phone("PhoneNumber-"+cc, cc, kw, cc)
	}
	trig("PostalCode-CA", Personal, tgPostal).Country = "CA"
	add("RgNumber-BR", Personal, "BR", kwNatIDBR, rx(`\d{2}\.?\d{3}\.?\d{3}-?[0-9Xx]`, 12, 0, bndAlnum, ".-", rgValid))
	add("SocialInsuranceNumber-CA", Personal, "CA", kwSIN, rx(`\d{3}[ -]?\d{3}[ -]?\d{3}`, 11, 0, bndDigit, " -", sinOK))
	add("Ssn-ES", Personal, "ES", kwSsnES, rx(`\d{2}[ /-]?\d{8}[ /-]?\d{2}`, 14, 0, bndDigit, " /-", nussValid))
	add("Ssn-US", Personal, "US", kwSsnUS, rx(`\d{3}[- ]?\d{2}[- ]?\d{4}`, 11, 0, bndDigit, "", ssnOK))
	add("TaxId-DE", Personal, "DE", kwTaxDE, rx(`\d{2} ?\d{3} ?\d{3} ?\d{3}`, 14, 0, bndDigit, " ", steuerIDValid))
	add("TaxId-ES", Personal, "ES", kwTaxES, rx(`[ABCDEFGHJNPQRSUVWabcdefghjnpqrsuvw]-?\d{7}-?[0-9A-Ja-j]|\d{8}-?[A-Za-z]`, 11, 2, bndAlnum, "-", spanishTaxOK))
	add("TaxId-FR", Personal, "FR", kwTaxFR, rx(`[0-3]\d ?\d{2} ?\d{3} ?\d{3} ?\d{3}`, 17, 0, bndDigit, "", nil))
	add("TaxId-GB", Personal, "GB", kwTaxGB, rx(`\d{5} ?\d{5}K?|\d{3}/[A-Z]{1,2}\d{1,6}`, 12, 0, bndAlnum, "", nil))
	add("VehicleIdentificationNumber", Personal, "", kwVIN, rx(`[A-HJ-NPR-Za-hj-npr-z0-9]{17}`, 17, 17, bndAlnum, "", vinValid))
	add("ZipCode-US", Personal, "US", kwZip, rx(`\d{5}(?:-\d{4})?`, 10, 0, bndDigit, "", nil))

	sort.Slice(ids, func(i, j int) bool { return ids[i].Name < ids[j].Name })
	return ids
}

var passportKeywords = map[string][]string{
	"CA": kwPassportCA, "DE": kwPassportDE, "ES": kwPassportES, "FR": kwPassportFR,
	"GB": kwPassportGB, "IT": kwPassportIT, "US": kwPassportUS,
}

// driversLicenses returns the licence number shapes by country. Licence
// formats vary by issuing region; these are the common national forms.
func driversLicenses() map[string]finder {
	alnum := func(expr string, maxLen int) finder {
		return rx(expr, maxLen, maxLen, bndAlnum, "", atLeastOneDigit)
	}
	return map[string]finder{
		"AT": alnum(`\d{8}`, 8),
		"AU": alnum(`[A-Z]{1,2}\d{5,9}|\d{6,11}`, 11),
		"BE": alnum(`\d{10}`, 10),
		"BG": alnum(`\d{9}`, 9),
		"CA": alnum(`[A-Z]\d{4}-?\d{5}-?\d{5}|[A-Z]\d{12}|[A-Z]{0,3}\d{5,9}`, 17),
		"CY": alnum(`\d{6,12}`, 12),
		"CZ": alnum(`[A-Z]{2} ?\d{6}`, 9),
		"DE": alnum(`[A-Z0-9]\d{2}[A-Z0-9]{6}\d[A-Z0-9]`, 11),
		"DK": alnum(`\d{8}`, 8),
		"EE": alnum(`[A-Z]{2}\d{6}`, 8),
		"ES": rx(`\d{8}-?[A-Z]`, 10, 0, bndAlnum, "-", dniValid),
		"FI": rx(`\d{6}[-+A]\d{3}[0-9A-Y]`, 11, 0, bndAlnum, "", hetuValid),
		"FR": alnum(`\d{12}|\d{2}[A-Z]{2}\d{5}`, 12),
		"GB": alnum(`[A-Z9]{5}\d[0156]\d(?:0[1-9]|[12]\d|3[01])\d[A-Z9]{2}\d[A-Z]{2}`, 16),
		"GR": alnum(`\d{9}`, 9),
		"HR": alnum(`\d{8,9}`, 9),
		"HU": alnum(`[A-Z]{2}\d{6}`, 8),
		"IE": alnum(`\d{3}-\d{3}-\d{3}|\d{9}|\d{6}[A-Z]{1,2}`, 11),
		"IT": alnum(`[A-Z]{2}\d{7}[A-Z]|U1[A-Z0-9]{7}[A-Z]`, 10),
		"LT": alnum(`\d{8}`, 8),
		"LU": alnum(`\d{6}`, 6),
		"LV": alnum(`[A-Z]{2}\d{6}`, 8),
		"MT": alnum(`\d{7}[A-Z]`, 8),
		"NL": alnum(`\d{10}`, 10),
		"PL": alnum(`\d{5}/\d{2}/\d{4}`, 13),
		"PT": alnum(`[A-Z]{1,2}-?\d{6} ?\d`, 11),
		"RO": alnum(`[A-Z]?\d{8,9}`, 10),
		"SE": rx(`\d{6}-?\d{4}`, 11, 0, bndDigit, "-", swedishPNValid),
		"SI": alnum(`\d{8}`, 8),
		"SK": alnum(`[A-Z]{2}\d{6}`, 8),
		"US": alnum(`[A-Z]{1,2}\d{4,14}|\d{7,13}|[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d`, 18),
	}
}

// dobFinder matches the date forms AWS describes (digits, or digits and
// month names, separated by spaces, slashes or hyphens).
var dobFinder = rx(`(?i)(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d{2}|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}|\d{1,2}(?:st|nd|rd|th)?[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?[ -](?:19|20)\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2})`,
	30, 10, bndAlnum, "", dateOK)

// Validators on normalised candidates.

func atLeastOneDigit(b []byte) bool { return hasDigit(b) }

func mixedBase64(b []byte) bool {
	var up, lo, dg bool
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
		case c >= 'a' && c <= 'z':
			lo = true
		case isDigit(c):
			dg = true
		}
	}
	return up && lo && dg
}

// sameSeparators rejects numbers whose groups use different separators.
func sameSeparators(b []byte) bool {
	var sep byte
	for _, c := range b {
		if !isDigit(c) && !isLetter(c) {
			if sep != 0 && c != sep {
				return false
			}
			sep = c
		}
	}
	return true
}

func ssnOK(b []byte) bool {
	if !sameSeparators(b) {
		return false
	}
	var d [9]byte
	n := 0
	for _, c := range b {
		if isDigit(c) {
			if n == 9 {
				return false
			}
			d[n] = c
			n++
		}
	}
	if n != 9 {
		return false
	}
	area := string(d[:3])
	return area != "000" && area != "666" && d[0] != '9' && string(d[3:5]) != "00" && string(d[5:]) != "0000"
}

func sinOK(b []byte) bool { return sinValid(b) }

func inseeOK(b []byte) bool {
	if len(b) == 15 {
		return inseeValid(b)
	}
	return len(b) == 13
}

func germanIDOK(b []byte) bool {
	if !hasDigit(b) {
		return false
	}
	return len(b) == 9 || germanIDValid(b)
}

func ninoOK(b []byte) bool {
	if len(b) != 9 {
		return false
	}
	switch string(b[:2]) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

func nifOK(b []byte) bool {
	if len(b) == 9 && (b[0]|0x20 == 'k' || b[0]|0x20 == 'l' || b[0]|0x20 == 'm') {
		var d [9]byte
		d[0] = '0'
		copy(d[1:], b[1:])
		return dniValid(d[:])
	}
	return dniValid(b)
}

func spanishTaxOK(b []byte) bool { return cifValid(b) || dniValid(b) }

// nussValid checks a Spanish social security number: province (2), number
// (8) and two control digits = (province and number) mod 97.
func nussValid(b []byte) bool {
	if len(b) != 12 || !digits(b) {
		return false
	}
	num := 0
	for _, c := range b[2:10] {
		num = num*10 + int(c-'0')
	}
	prov := int(b[0]-'0')*10 + int(b[1]-'0')
	var n int
	if num < 10000000 {
		n = num + prov*10000000
	} else {
		n = prov*100000000 + num
	}
	return n%97 == int(b[10]-'0')*10+int(b[11]-'0')
}

// phnOK accepts a BC personal health number, an Ontario health number
// (Luhn over ten digits, optional version letters) or a Quebec RAMQ number.
func phnOK(b []byte) bool {
	switch {
	case len(b) == 12 && isLetter(b[0]):
		return true
	case len(b) == 10:
		return bcPHNValid(b) || luhn(b)
	case len(b) == 12:
		return luhn(b[:10])
	}
	return false
}

// hetuValid checks a Finnish personal identity code's control character.
func hetuValid(b []byte) bool {
	if len(b) != 11 || !digits(b[:6]) || !digits(b[7:10]) {
		return false
	}
	n := 0
	for _, c := range b[:6] {
		n = n*10 + int(c-'0')
	}
	for _, c := range b[7:10] {
		n = n*10 + int(c-'0')
	}
	return b[10] == "0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31]
}

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// dateOK checks the month and day ranges of a matched date.
func dateOK(b []byte) bool {
	var nums [3]int
	var lens [3]int
	k, month := 0, 0
	for i := 0; i < len(b); {
		switch {
		case isDigit(b[i]):
			j := i
			v := 0
			for j < len(b) && isDigit(b[j]) {
				v = v*10 + int(b[j]-'0')
				j++
			}
			if k < 3 {
				nums[k], lens[k] = v, j-i
				k++
			}
			i = j
			for i < len(b) && isLetter(b[i]) && month == 0 { // 1st, 2nd
				i++
			}
		case isLetter(b[i]):
			j := i
			for j < len(b) && isLetter(b[j]) {
				j++
			}
			if j-i >= 3 {
				for m, name := range monthNames {
					if string(toLowerASCII(b[i:i+3])) == name {
						month = m + 1
					}
				}
			}
			i = j
		default:
			i++
		}
	}
	day := func(d int) bool { return d >= 1 && d <= 31 }
	if month != 0 {
		return k == 2 && day(nums[0])
	}
	if k != 3 {
		return false
	}
	if lens[0] == 4 { // YYYY-MM-DD
		return nums[1] >= 1 && nums[1] <= 12 && day(nums[2])
	}
	// DD/MM/YYYY or MM/DD/YYYY
	return day(nums[0]) && day(nums[1]) && (nums[0] <= 12 || nums[1] <= 12)
}
