<?xml version="1.0" encoding="UTF-8"?>
<!--
  UBL 2.1 Invoice and CreditNote (EN 16931: XRechnung, Peppol BIS Billing 3.0, CEN
  examples) -> canonical invoice (formats/canonical/canonical.xsd; field table in
  docs/canonical.md, "UBL and CII invoices -> canonical invoice").

  The caller identifies the document first (gateway/einvoice.h: BT-24, not the root) and
  runs this stylesheet for both roots; any other root stops the transformation with a
  message. A CreditNote is an invoice of type credit_note whatever its type code.

  Values are moved as strings: amounts, quantities and rates only lose surrounding blanks
  and a leading plus sign (".5" becomes "0.5"); nothing is computed. A total that was not
  sent stays absent and is named in totals/@missing. Every element that has no canonical
  field is copied into extension (source "ubl") as received, inside empty copies of its
  ancestors so that one can see where it came from: the document's extension for header
  content, the line's extension for line content.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:canonical:1"
                xmlns:inv="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
                xmlns:cn="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
                xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
                xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
                exclude-result-prefixes="inv cn cac cbc">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="canon" select="'urn:edi-gateway:canonical:1'"/>

  <xsl:template match="/">
    <xsl:if test="not(inv:Invoice or cn:CreditNote)">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('not a UBL Invoice or CreditNote: {', namespace-uri(*), '}',
                              local-name(*))"/>
      </xsl:message>
    </xsl:if>
    <xsl:apply-templates select="*" mode="invoice"/>
  </xsl:template>

  <!-- ==== the document ============================================================= -->

  <xsl:template match="*" mode="invoice">
    <xsl:variable name="credit" select="boolean(self::cn:CreditNote)"/>
    <xsl:variable name="cur" select="normalize-space(cbc:DocumentCurrencyCode)"/>
    <xsl:variable name="taxcur" select="normalize-space(cbc:TaxCurrencyCode)"/>
    <xsl:variable name="typecode" select="normalize-space(cbc:InvoiceTypeCode | cbc:CreditNoteTypeCode)"/>
    <xsl:variable name="lines" select="cac:InvoiceLine | cac:CreditNoteLine"/>
    <xsl:variable name="sepa" select="(cac:AccountingSupplierParty/cac:Party | cac:PayeeParty)/cac:PartyIdentification/cbc:ID[@schemeID = 'SEPA']"/>
    <xsl:variable name="lmt" select="cac:LegalMonetaryTotal"/>
    <!-- BT-110 is the TaxTotal in the document currency, BT-111 the one in the tax currency. -->
    <xsl:variable name="tt" select="cac:TaxTotal[cbc:TaxAmount/@currencyID = $cur][1]
                                    | cac:TaxTotal[not(../cac:TaxTotal/cbc:TaxAmount/@currencyID = $cur)][1]"/>
    <xsl:variable name="tt2" select="cac:TaxTotal[$taxcur != '' and $taxcur != $cur
                                     and cbc:TaxAmount/@currencyID = $taxcur][1]"/>

    <invoice source="{concat('UBL ', local-name(), ' ', normalize-space(cbc:CustomizationID))}">
      <kind>invoice</kind>
      <xsl:if test="$typecode != '' or $credit">
        <type>
          <xsl:if test="$typecode != ''">
            <xsl:attribute name="code"><xsl:value-of select="$typecode"/></xsl:attribute>
          </xsl:if>
          <xsl:choose>
            <xsl:when test="$credit or $typecode = '381'">credit_note</xsl:when>
            <xsl:when test="$typecode = '380'">invoice</xsl:when>
            <xsl:otherwise>other</xsl:otherwise>
          </xsl:choose>
        </type>
      </xsl:if>
      <xsl:call-template name="text-el">
        <xsl:with-param name="name" select="'specification'"/>
        <xsl:with-param name="v" select="cbc:CustomizationID"/>
      </xsl:call-template>
      <xsl:call-template name="text-el">
        <xsl:with-param name="name" select="'process'"/>
        <xsl:with-param name="v" select="cbc:ProfileID"/>
      </xsl:call-template>
      <number><xsl:value-of select="normalize-space(cbc:ID)"/></number>

      <!-- dates: BT-2, BT-7, BT-9, BT-72, BG-14 -->
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cbc:IssueDate"/>
        <xsl:with-param name="role" select="'document'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cbc:TaxPointDate"/>
        <xsl:with-param name="role" select="'tax_point'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cbc:DueDate | cac:PaymentMeans[not(../cbc:DueDate)]/cbc:PaymentDueDate[1]"/>
        <xsl:with-param name="role" select="'due'"/>
      </xsl:call-template>
      <xsl:for-each select="cac:Delivery/cbc:ActualDeliveryDate">
        <xsl:call-template name="date">
          <xsl:with-param name="n" select="."/>
          <xsl:with-param name="role" select="'delivery'"/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cac:InvoicePeriod/cbc:StartDate"/>
        <xsl:with-param name="role" select="'period_start'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cac:InvoicePeriod/cbc:EndDate"/>
        <xsl:with-param name="role" select="'period_end'"/>
      </xsl:call-template>

      <xsl:if test="$cur != ''"><currency><xsl:value-of select="$cur"/></currency></xsl:if>
      <xsl:if test="$taxcur != ''"><taxCurrency><xsl:value-of select="$taxcur"/></taxCurrency></xsl:if>

      <!-- references: BT-10..BT-19, BT-25/26 -->
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cbc:BuyerReference"/>
        <xsl:with-param name="kind" select="'buyer_reference'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:ProjectReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'project'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:ContractDocumentReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'contract'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:OrderReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'customer_order'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:OrderReference/cbc:SalesOrderID"/>
        <xsl:with-param name="kind" select="'supplier_order'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:ReceiptDocumentReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'receiving_advice'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:DespatchDocumentReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'despatch_advice'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:OriginatorDocumentReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'tender'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:AdditionalDocumentReference[normalize-space(cbc:DocumentTypeCode) = '130']/cbc:ID"/>
        <xsl:with-param name="kind" select="'invoiced_object'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cbc:AccountingCost"/>
        <xsl:with-param name="kind" select="'accounting'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"/>
        <xsl:with-param name="kind" select="'invoice'"/>
      </xsl:call-template>

      <!-- BT-22 -->
      <xsl:for-each select="cbc:Note[normalize-space() != '']">
        <text><xsl:value-of select="."/></text>
      </xsl:for-each>

      <!-- BT-20 -->
      <xsl:for-each select="cac:PaymentTerms[cbc:Note[normalize-space() != '']]">
        <paymentTerms>
          <xsl:for-each select="cbc:Note[normalize-space() != '']">
            <text><xsl:value-of select="."/></text>
          </xsl:for-each>
        </paymentTerms>
      </xsl:for-each>

      <!-- BG-16..BG-19 -->
      <xsl:for-each select="cac:PaymentMeans[normalize-space(cbc:PaymentMeansCode) != '']">
        <paymentMeans code="{normalize-space(cbc:PaymentMeansCode)}">
          <xsl:if test="cbc:PaymentMeansCode/@name">
            <text><xsl:value-of select="cbc:PaymentMeansCode/@name"/></text>
          </xsl:if>
          <xsl:if test="normalize-space(cbc:PaymentID) != ''">
            <remittance><xsl:value-of select="normalize-space(cbc:PaymentID)"/></remittance>
          </xsl:if>
          <xsl:for-each select="cac:PayeeFinancialAccount[normalize-space(cbc:ID) != '']">
            <account>
              <iban><xsl:value-of select="normalize-space(cbc:ID)"/></iban>
              <xsl:if test="cbc:Name"><name><xsl:value-of select="cbc:Name"/></name></xsl:if>
              <xsl:if test="cac:FinancialInstitutionBranch/cbc:ID">
                <bic><xsl:value-of select="normalize-space(cac:FinancialInstitutionBranch/cbc:ID)"/></bic>
              </xsl:if>
            </account>
          </xsl:for-each>
          <xsl:if test="cac:CardAccount/cbc:PrimaryAccountNumberID">
            <cardNumber><xsl:value-of select="normalize-space(cac:CardAccount/cbc:PrimaryAccountNumberID)"/></cardNumber>
          </xsl:if>
          <xsl:if test="cac:CardAccount/cbc:HolderName">
            <cardHolder><xsl:value-of select="cac:CardAccount/cbc:HolderName"/></cardHolder>
          </xsl:if>
          <xsl:if test="cac:PaymentMandate/cbc:ID">
            <mandate><xsl:value-of select="normalize-space(cac:PaymentMandate/cbc:ID)"/></mandate>
          </xsl:if>
          <xsl:if test="$sepa">
            <creditorId><xsl:value-of select="normalize-space($sepa[1])"/></creditorId>
          </xsl:if>
          <xsl:if test="cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID">
            <debitedAccount><xsl:value-of select="normalize-space(cac:PaymentMandate/cac:PayerFinancialAccount/cbc:ID)"/></debitedAccount>
          </xsl:if>
        </paymentMeans>
      </xsl:for-each>

      <!-- parties: BG-4, BG-7, BG-10, BG-11, BG-13 -->
      <xsl:apply-templates select="cac:AccountingSupplierParty/cac:Party" mode="party">
        <xsl:with-param name="role" select="'supplier'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="cac:AccountingCustomerParty/cac:Party" mode="party">
        <xsl:with-param name="role" select="'buyer'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="cac:PayeeParty" mode="party">
        <xsl:with-param name="role" select="'payee'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="cac:TaxRepresentativeParty" mode="party">
        <xsl:with-param name="role" select="'tax_representative'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="cac:Delivery[cac:DeliveryLocation or cac:DeliveryParty]" mode="delivery"/>

      <!-- BG-23 -->
      <xsl:for-each select="$tt/cac:TaxSubtotal">
        <xsl:call-template name="tax">
          <xsl:with-param name="cat" select="cac:TaxCategory"/>
          <xsl:with-param name="basis" select="cbc:TaxableAmount"/>
          <xsl:with-param name="amount" select="cbc:TaxAmount"/>
        </xsl:call-template>
      </xsl:for-each>

      <!-- BG-20, BG-21 -->
      <xsl:apply-templates select="cac:AllowanceCharge" mode="ac"/>

      <xsl:apply-templates select="$lines" mode="line"/>

      <!-- BG-22 -->
      <xsl:variable name="missing">
        <xsl:text> lineCount</xsl:text>
        <xsl:if test="not($lmt/cbc:LineExtensionAmount)"> lineAmountTotal</xsl:if>
        <xsl:if test="not($lmt/cbc:AllowanceTotalAmount)"> allowanceTotal</xsl:if>
        <xsl:if test="not($lmt/cbc:ChargeTotalAmount)"> chargeTotal</xsl:if>
        <xsl:if test="not($lmt/cbc:TaxExclusiveAmount)"> taxBasisTotal</xsl:if>
        <xsl:if test="not($tt/cbc:TaxAmount)"> taxTotal</xsl:if>
        <xsl:if test="$taxcur != '' and $taxcur != $cur and not($tt2/cbc:TaxAmount)"> taxTotalInTaxCurrency</xsl:if>
        <xsl:if test="not($lmt/cbc:TaxInclusiveAmount)"> grandTotal</xsl:if>
        <xsl:if test="not($lmt/cbc:PrepaidAmount)"> prepaidAmount</xsl:if>
        <xsl:if test="not($lmt/cbc:PayableRoundingAmount)"> roundingAmount</xsl:if>
        <xsl:if test="not($lmt/cbc:PayableAmount)"> payableAmount</xsl:if>
      </xsl:variable>
      <totals missing="{normalize-space($missing)}">
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'lineAmountTotal'"/>
          <xsl:with-param name="v" select="$lmt/cbc:LineExtensionAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'allowanceTotal'"/>
          <xsl:with-param name="v" select="$lmt/cbc:AllowanceTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'chargeTotal'"/>
          <xsl:with-param name="v" select="$lmt/cbc:ChargeTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxBasisTotal'"/>
          <xsl:with-param name="v" select="$lmt/cbc:TaxExclusiveAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxTotal'"/>
          <xsl:with-param name="v" select="$tt/cbc:TaxAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxTotalInTaxCurrency'"/>
          <xsl:with-param name="v" select="$tt2/cbc:TaxAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'grandTotal'"/>
          <xsl:with-param name="v" select="$lmt/cbc:TaxInclusiveAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'prepaidAmount'"/>
          <xsl:with-param name="v" select="$lmt/cbc:PrepaidAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'roundingAmount'"/>
          <xsl:with-param name="v" select="$lmt/cbc:PayableRoundingAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'payableAmount'"/>
          <xsl:with-param name="v" select="$lmt/cbc:PayableAmount"/>
        </xsl:call-template>
      </totals>

      <xsl:call-template name="extension">
        <xsl:with-param name="from" select="*[not(self::cac:InvoiceLine or self::cac:CreditNoteLine)]"/>
      </xsl:call-template>
    </invoice>
  </xsl:template>

  <!-- ==== parties ================================================================== -->

  <!-- A cac:Party (or PayeeParty, TaxRepresentativeParty): ids BT-29/46/60 (0088 GLN,
       0060 DUNS, others with their ICD as @agency; the SEPA creditor id BT-90 goes to
       paymentMeans), legal id BT-30/47/61, VAT id BT-31/48/63, tax number BT-32; the first
       name is the registered name BT-27/44, else the party name; trading name BT-28/45;
       electronic address BT-34/49; address BG-5/8/12; contact BG-6/9. -->
  <xsl:template match="*" mode="party">
    <xsl:param name="role"/>
    <party role="{$role}" qualifier="{local-name(parent::cac:AccountingSupplierParty
                                      | parent::cac:AccountingCustomerParty | self::cac:PayeeParty
                                      | self::cac:TaxRepresentativeParty)}">
      <xsl:for-each select="cac:PartyIdentification/cbc:ID[not(@schemeID = 'SEPA')][normalize-space() != '']">
        <xsl:call-template name="party-id"/>
      </xsl:for-each>
      <xsl:for-each select="cac:PartyLegalEntity/cbc:CompanyID[normalize-space() != '']">
        <id scheme="legal">
          <xsl:if test="@schemeID"><xsl:attribute name="agency"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </id>
      </xsl:for-each>
      <xsl:for-each select="cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID) = 'VAT']/cbc:CompanyID[normalize-space() != '']">
        <id scheme="vat"><xsl:value-of select="normalize-space()"/></id>
      </xsl:for-each>
      <xsl:for-each select="cac:PartyTaxScheme[normalize-space(cac:TaxScheme/cbc:ID) != 'VAT']/cbc:CompanyID[normalize-space() != '']">
        <id scheme="tax_number">
          <xsl:if test="../cac:TaxScheme/cbc:ID">
            <xsl:attribute name="agency"><xsl:value-of select="normalize-space(../cac:TaxScheme/cbc:ID)"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </id>
      </xsl:for-each>
      <xsl:choose>
        <xsl:when test="cac:PartyLegalEntity/cbc:RegistrationName">
          <xsl:for-each select="cac:PartyLegalEntity/cbc:RegistrationName[position() &lt;= 5]">
            <name><xsl:value-of select="."/></name>
          </xsl:for-each>
          <xsl:if test="cac:PartyName/cbc:Name">
            <tradingName><xsl:value-of select="cac:PartyName/cbc:Name"/></tradingName>
          </xsl:if>
        </xsl:when>
        <xsl:otherwise>
          <xsl:for-each select="cac:PartyName/cbc:Name[position() &lt;= 5]">
            <name><xsl:value-of select="."/></name>
          </xsl:for-each>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="cbc:EndpointID[normalize-space() != '']">
        <electronicAddress>
          <xsl:if test="@schemeID"><xsl:attribute name="scheme"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </electronicAddress>
      </xsl:for-each>
      <xsl:apply-templates select="cac:PostalAddress" mode="address"/>
      <xsl:apply-templates select="cac:Contact" mode="contact"/>
    </party>
  </xsl:template>

  <xsl:template name="party-id">
    <xsl:variable name="s" select="normalize-space(@schemeID)"/>
    <id>
      <xsl:attribute name="scheme">
        <xsl:choose>
          <xsl:when test="$s = '0088'">gln</xsl:when>
          <xsl:when test="$s = '0060'">duns</xsl:when>
          <xsl:otherwise>other</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="$s != ''"><xsl:attribute name="agency"><xsl:value-of select="$s"/></xsl:attribute></xsl:if>
      <xsl:value-of select="normalize-space()"/>
    </id>
  </xsl:template>

  <xsl:template match="*" mode="address">
    <xsl:for-each select="(cbc:StreetName | cbc:AdditionalStreetName | cac:AddressLine/cbc:Line)[position() &lt;= 4]">
      <street><xsl:value-of select="."/></street>
    </xsl:for-each>
    <xsl:if test="cbc:PostalZone"><postcode><xsl:value-of select="cbc:PostalZone"/></postcode></xsl:if>
    <xsl:if test="cbc:CityName"><city><xsl:value-of select="cbc:CityName"/></city></xsl:if>
    <xsl:if test="cbc:CountrySubentity"><countrySubdivision><xsl:value-of select="cbc:CountrySubentity"/></countrySubdivision></xsl:if>
    <xsl:if test="normalize-space(cac:Country/cbc:IdentificationCode) != ''">
      <country><xsl:value-of select="normalize-space(cac:Country/cbc:IdentificationCode)"/></country>
    </xsl:if>
  </xsl:template>

  <xsl:template match="cac:Contact" mode="contact">
    <contact>
      <xsl:if test="cbc:Name"><name><xsl:value-of select="cbc:Name"/></name></xsl:if>
      <xsl:for-each select="cbc:Telephone"><phone><xsl:value-of select="."/></phone></xsl:for-each>
      <xsl:for-each select="cbc:Telefax"><fax><xsl:value-of select="."/></fax></xsl:for-each>
      <xsl:for-each select="cbc:ElectronicMail"><email><xsl:value-of select="."/></email></xsl:for-each>
    </contact>
  </xsl:template>

  <!-- BG-13: deliver-to name BT-70, location id BT-71, address BG-15. -->
  <xsl:template match="cac:Delivery" mode="delivery">
    <party role="delivery" qualifier="Delivery">
      <xsl:for-each select="cac:DeliveryLocation/cbc:ID[normalize-space() != '']">
        <xsl:call-template name="party-id"/>
      </xsl:for-each>
      <xsl:for-each select="cac:DeliveryParty/cac:PartyName/cbc:Name[position() &lt;= 5]">
        <name><xsl:value-of select="."/></name>
      </xsl:for-each>
      <xsl:apply-templates select="cac:DeliveryLocation/cac:Address" mode="address"/>
    </party>
  </xsl:template>

  <!-- ==== taxes, allowances and charges ============================================= -->

  <!-- A tax from a cac:TaxCategory or cac:ClassifiedTaxCategory: category BT-118/151/95/102,
       rate BT-119/152/96/103, exemption reason BT-120 and code BT-121. -->
  <xsl:template name="tax">
    <xsl:param name="cat"/>
    <xsl:param name="basis" select="/.."/>
    <xsl:param name="amount" select="/.."/>
    <tax>
      <xsl:if test="normalize-space($cat/cac:TaxScheme/cbc:ID) != ''">
        <xsl:attribute name="type"><xsl:value-of select="normalize-space($cat/cac:TaxScheme/cbc:ID)"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="normalize-space($cat/cbc:ID) != ''">
        <category><xsl:value-of select="normalize-space($cat/cbc:ID)"/></category>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'ratePercent'"/>
        <xsl:with-param name="v" select="$cat/cbc:Percent"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'basisAmount'"/>
        <xsl:with-param name="v" select="$basis"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'amount'"/>
        <xsl:with-param name="v" select="$amount"/>
      </xsl:call-template>
      <xsl:if test="$cat/cbc:TaxExemptionReason">
        <exemptionReason><xsl:value-of select="$cat/cbc:TaxExemptionReason"/></exemptionReason>
      </xsl:if>
      <xsl:if test="$cat/cbc:TaxExemptionReasonCode">
        <exemptionCode><xsl:value-of select="normalize-space($cat/cbc:TaxExemptionReasonCode)"/></exemptionCode>
      </xsl:if>
    </tax>
  </xsl:template>

  <!-- BG-20/21 (document) and BG-27/28 (line): reason BT-97/104/139/144 with the reason
       code BT-98/105/140/145 as @qualifier, percent, base amount, amount, tax category. -->
  <xsl:template match="cac:AllowanceCharge" mode="ac">
    <allowanceCharge>
      <xsl:attribute name="kind">
        <xsl:choose>
          <xsl:when test="normalize-space(cbc:ChargeIndicator) = 'true'">charge</xsl:when>
          <xsl:otherwise>allowance</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="cbc:AllowanceChargeReason or cbc:AllowanceChargeReasonCode">
        <reason>
          <xsl:if test="cbc:AllowanceChargeReasonCode">
            <xsl:attribute name="qualifier"><xsl:value-of select="normalize-space(cbc:AllowanceChargeReasonCode)"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="cbc:AllowanceChargeReason"/>
        </reason>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'percent'"/>
        <xsl:with-param name="v" select="cbc:MultiplierFactorNumeric"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'basisAmount'"/>
        <xsl:with-param name="v" select="cbc:BaseAmount"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'amount'"/>
        <xsl:with-param name="v" select="cbc:Amount"/>
      </xsl:call-template>
      <xsl:if test="cac:TaxCategory">
        <xsl:call-template name="tax">
          <xsl:with-param name="cat" select="cac:TaxCategory[1]"/>
        </xsl:call-template>
      </xsl:if>
    </allowanceCharge>
  </xsl:template>

  <!-- ==== lines (BG-25) ============================================================= -->

  <xsl:template match="*" mode="line">
    <xsl:variable name="item" select="cac:Item"/>
    <xsl:variable name="price" select="cac:Price"/>
    <xsl:variable name="qty" select="cbc:InvoicedQuantity | cbc:CreditedQuantity"/>
    <line>
      <number><xsl:value-of select="normalize-space(cbc:ID)"/></number>
      <xsl:if test="$item/cac:StandardItemIdentification/cbc:ID[normalize-space(@schemeID) = '0160']">
        <gtin><xsl:value-of select="normalize-space($item/cac:StandardItemIdentification/cbc:ID[normalize-space(@schemeID) = '0160'])"/></gtin>
      </xsl:if>
      <xsl:if test="$item/cac:SellersItemIdentification/cbc:ID">
        <supplierArticle><xsl:value-of select="normalize-space($item/cac:SellersItemIdentification/cbc:ID)"/></supplierArticle>
      </xsl:if>
      <xsl:if test="$item/cac:BuyersItemIdentification/cbc:ID">
        <buyerArticle><xsl:value-of select="normalize-space($item/cac:BuyersItemIdentification/cbc:ID)"/></buyerArticle>
      </xsl:if>
      <xsl:for-each select="$item/cbc:Name">
        <description qualifier="name"><xsl:value-of select="."/></description>
      </xsl:for-each>
      <xsl:for-each select="$item/cbc:Description">
        <description qualifier="description"><xsl:value-of select="."/></description>
      </xsl:for-each>
      <xsl:for-each select="$item/cac:CommodityClassification/cbc:ItemClassificationCode[normalize-space() != '']">
        <classification>
          <xsl:if test="@listID"><xsl:attribute name="qualifier"><xsl:value-of select="@listID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </classification>
      </xsl:for-each>
      <xsl:if test="normalize-space($item/cac:OriginCountry/cbc:IdentificationCode) != ''">
        <originCountry><xsl:value-of select="normalize-space($item/cac:OriginCountry/cbc:IdentificationCode)"/></originCountry>
      </xsl:if>
      <xsl:for-each select="$item/cac:AdditionalItemProperty[normalize-space(cbc:Name) != '']">
        <attribute>
          <name><xsl:value-of select="cbc:Name"/></name>
          <value><xsl:value-of select="cbc:Value"/></value>
        </attribute>
      </xsl:for-each>
      <xsl:if test="$qty">
        <quantity>
          <xsl:call-template name="unit">
            <xsl:with-param name="code" select="$qty/@unitCode"/>
            <xsl:with-param name="attr" select="'unit'"/>
          </xsl:call-template>
          <xsl:call-template name="dec">
            <xsl:with-param name="v" select="$qty"/>
          </xsl:call-template>
        </quantity>
      </xsl:if>
      <xsl:if test="$price/cbc:PriceAmount">
        <netPrice>
          <xsl:call-template name="price-basis">
            <xsl:with-param name="price" select="$price"/>
          </xsl:call-template>
          <xsl:call-template name="dec">
            <xsl:with-param name="v" select="$price/cbc:PriceAmount"/>
          </xsl:call-template>
        </netPrice>
      </xsl:if>
      <xsl:if test="$price/cac:AllowanceCharge/cbc:BaseAmount">
        <grossPrice>
          <xsl:call-template name="price-basis">
            <xsl:with-param name="price" select="$price"/>
          </xsl:call-template>
          <xsl:call-template name="dec">
            <xsl:with-param name="v" select="$price/cac:AllowanceCharge/cbc:BaseAmount"/>
          </xsl:call-template>
        </grossPrice>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'lineAmount'"/>
        <xsl:with-param name="v" select="cbc:LineExtensionAmount"/>
      </xsl:call-template>
      <xsl:for-each select="$item/cac:ClassifiedTaxCategory">
        <xsl:call-template name="tax">
          <xsl:with-param name="cat" select="."/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:apply-templates select="cac:AllowanceCharge" mode="ac"/>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cac:InvoicePeriod/cbc:StartDate"/>
        <xsl:with-param name="role" select="'period_start'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="cac:InvoicePeriod/cbc:EndDate"/>
        <xsl:with-param name="role" select="'period_end'"/>
      </xsl:call-template>
      <!-- BT-132: the order is the document's BT-13 when there is one. -->
      <xsl:for-each select="cac:OrderLineReference/cbc:LineID[normalize-space() != '']">
        <reference kind="customer_order" line="{normalize-space()}">
          <xsl:choose>
            <xsl:when test="normalize-space(/*/cac:OrderReference/cbc:ID) != ''">
              <xsl:value-of select="normalize-space(/*/cac:OrderReference/cbc:ID)"/>
            </xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
          </xsl:choose>
        </reference>
      </xsl:for-each>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cac:DocumentReference[not(cbc:DocumentTypeCode) or normalize-space(cbc:DocumentTypeCode) = '130']/cbc:ID"/>
        <xsl:with-param name="kind" select="'invoiced_object'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="cbc:AccountingCost"/>
        <xsl:with-param name="kind" select="'accounting'"/>
      </xsl:call-template>
      <xsl:for-each select="cbc:Note[normalize-space() != '']">
        <text><xsl:value-of select="."/></text>
      </xsl:for-each>
      <xsl:call-template name="extension">
        <xsl:with-param name="from" select="*"/>
      </xsl:call-template>
    </line>
  </xsl:template>

  <!-- BT-149/150 on netPrice and grossPrice. -->
  <xsl:template name="price-basis">
    <xsl:param name="price"/>
    <xsl:if test="normalize-space($price/cbc:BaseQuantity) != ''">
      <xsl:attribute name="basisQuantity">
        <xsl:call-template name="dec">
          <xsl:with-param name="v" select="$price/cbc:BaseQuantity"/>
        </xsl:call-template>
      </xsl:attribute>
      <xsl:call-template name="unit">
        <xsl:with-param name="code" select="$price/cbc:BaseQuantity/@unitCode"/>
        <xsl:with-param name="attr" select="'basisUnit'"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- A Rec 20/21 unit code as @unit (@basisUnit); a code that is not one goes to
       @unitAsSent (@basisUnitAsSent). -->
  <xsl:template name="unit">
    <xsl:param name="code"/>
    <xsl:param name="attr"/>
    <xsl:variable name="c" select="normalize-space($code)"/>
    <xsl:if test="$c != ''">
      <xsl:choose>
        <xsl:when test="(string-length($c) = 2 or string-length($c) = 3)
                        and translate($c, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '') = ''">
          <xsl:attribute name="{$attr}"><xsl:value-of select="$c"/></xsl:attribute>
        </xsl:when>
        <xsl:otherwise>
          <xsl:attribute name="{$attr}AsSent"><xsl:value-of select="$c"/></xsl:attribute>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- ==== value helpers ============================================================= -->

  <xsl:template name="text-el">
    <xsl:param name="name"/>
    <xsl:param name="v"/>
    <xsl:if test="normalize-space($v) != ''">
      <xsl:element name="{$name}" namespace="{$canon}"><xsl:value-of select="normalize-space($v)"/></xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- A decimal as text: blanks and a leading plus sign dropped, ".5" -> "0.5", "5." -> "5". -->
  <xsl:template name="dec">
    <xsl:param name="v"/>
    <xsl:variable name="s" select="normalize-space($v)"/>
    <xsl:variable name="u">
      <xsl:choose>
        <xsl:when test="starts-with($s, '+')"><xsl:value-of select="substring($s, 2)"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$s"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="sign"><xsl:if test="starts-with($u, '-')">-</xsl:if></xsl:variable>
    <xsl:variable name="m0" select="substring($u, string-length($sign) + 1)"/>
    <xsl:variable name="m1">
      <xsl:if test="starts-with($m0, '.')">0</xsl:if>
      <xsl:value-of select="$m0"/>
    </xsl:variable>
    <xsl:variable name="m">
      <xsl:choose>
        <xsl:when test="substring($m1, string-length($m1)) = '.'">
          <xsl:value-of select="substring($m1, 1, string-length($m1) - 1)"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$m1"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:value-of select="concat($sign, $m)"/>
  </xsl:template>

  <xsl:template name="dec-el">
    <xsl:param name="name"/>
    <xsl:param name="v"/>
    <xsl:if test="normalize-space($v) != ''">
      <xsl:element name="{$name}" namespace="{$canon}">
        <xsl:call-template name="dec">
          <xsl:with-param name="v" select="$v[1]"/>
        </xsl:call-template>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- A UBL date (YYYY-MM-DD, perhaps with a zone) as date[@role]; the text as sent stays
       in @original when the zone was dropped. -->
  <xsl:template name="date">
    <xsl:param name="n"/>
    <xsl:param name="role"/>
    <xsl:variable name="s" select="normalize-space($n[1])"/>
    <xsl:if test="$s != ''">
      <date role="{$role}">
        <xsl:if test="string-length($s) &gt; 10">
          <xsl:attribute name="original"><xsl:value-of select="$s"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="substring($s, 1, 10)"/>
      </date>
    </xsl:if>
  </xsl:template>

  <!-- A reference[@kind] per node of `n`: @qualifier the scheme, @date BT-26. -->
  <xsl:template name="ref">
    <xsl:param name="n"/>
    <xsl:param name="kind"/>
    <xsl:for-each select="$n[normalize-space() != '']">
      <reference kind="{$kind}">
        <xsl:if test="@schemeID"><xsl:attribute name="qualifier"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
        <xsl:if test="$kind = 'invoice' and string-length(normalize-space(../cbc:IssueDate)) &gt;= 10">
          <xsl:attribute name="date"><xsl:value-of select="substring(normalize-space(../cbc:IssueDate), 1, 10)"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="normalize-space()"/>
      </reference>
    </xsl:for-each>
  </xsl:template>

  <!-- ==== what was not mapped: extension ============================================ -->

  <!-- The extension holding what `from` and its descendants carry that no field took;
       nothing when everything was mapped. -->
  <xsl:template name="extension">
    <xsl:param name="from"/>
    <xsl:variable name="probe">
      <xsl:apply-templates select="$from" mode="rest">
        <xsl:with-param name="probe" select="true()"/>
      </xsl:apply-templates>
    </xsl:variable>
    <xsl:if test="string($probe) != ''">
      <extension source="ubl">
        <xsl:apply-templates select="$from" mode="rest"/>
      </extension>
    </xsl:if>
  </xsl:template>

  <!-- Mode rest walks what was mapped: containers are entered, mapped leaves are skipped,
       anything else is kept. With $probe it only says whether something would be kept. -->
  <xsl:template match="*" mode="rest">
    <xsl:param name="probe" select="false()"/>
    <xsl:choose>
      <xsl:when test="$probe">x</xsl:when>
      <xsl:otherwise><xsl:call-template name="keep"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="text() | comment() | processing-instruction()" mode="rest"/>

  <!-- containers whose children are mapped one by one -->
  <xsl:template mode="rest" match="cac:InvoicePeriod | /*/cac:OrderReference | cac:BillingReference
                | cac:BillingReference/cac:InvoiceDocumentReference | /*/cac:DespatchDocumentReference
                | /*/cac:ReceiptDocumentReference | /*/cac:OriginatorDocumentReference
                | /*/cac:ContractDocumentReference | /*/cac:ProjectReference
                | /*/cac:AdditionalDocumentReference[normalize-space(cbc:DocumentTypeCode) = '130']
                | cac:AccountingSupplierParty | cac:AccountingCustomerParty | cac:AccountingSupplierParty/cac:Party
                | cac:AccountingCustomerParty/cac:Party | /*/cac:PayeeParty | /*/cac:TaxRepresentativeParty
                | cac:PartyIdentification | cac:PartyName | cac:PostalAddress | cac:AddressLine | cac:Country
                | cac:PartyTaxScheme | cac:TaxScheme | cac:PartyLegalEntity | cac:Contact
                | /*/cac:Delivery | cac:DeliveryLocation | cac:DeliveryLocation/cac:Address | cac:DeliveryParty
                | cac:PaymentMeans[normalize-space(cbc:PaymentMeansCode) != ''] | cac:PayeeFinancialAccount
                | cac:FinancialInstitutionBranch | cac:CardAccount | cac:PaymentMandate | cac:PayerFinancialAccount
                | /*/cac:PaymentTerms | cac:AllowanceCharge | cac:TaxCategory | cac:TaxSubtotal
                | /*/cac:LegalMonetaryTotal | cac:OrderLineReference
                | cac:InvoiceLine/cac:DocumentReference[not(cbc:DocumentTypeCode) or normalize-space(cbc:DocumentTypeCode) = '130']
                | cac:CreditNoteLine/cac:DocumentReference[not(cbc:DocumentTypeCode) or normalize-space(cbc:DocumentTypeCode) = '130']
                | cac:Item | cac:BuyersItemIdentification | cac:SellersItemIdentification
                | cac:StandardItemIdentification[normalize-space(cbc:ID/@schemeID) = '0160'] | cac:OriginCountry
                | cac:CommodityClassification | cac:ClassifiedTaxCategory | cac:AdditionalItemProperty | cac:Price">
    <xsl:param name="probe" select="false()"/>
    <xsl:apply-templates select="*" mode="rest">
      <xsl:with-param name="probe" select="$probe"/>
    </xsl:apply-templates>
  </xsl:template>

  <!-- BT-110 and BT-111 are mapped; a further TaxTotal is kept. -->
  <xsl:template mode="rest" match="/*/cac:TaxTotal">
    <xsl:param name="probe" select="false()"/>
    <xsl:variable name="cur" select="normalize-space(/*/cbc:DocumentCurrencyCode)"/>
    <xsl:variable name="taxcur" select="normalize-space(/*/cbc:TaxCurrencyCode)"/>
    <xsl:variable name="main" select="../cac:TaxTotal[cbc:TaxAmount/@currencyID = $cur][1]
                                      | ../cac:TaxTotal[not(../cac:TaxTotal/cbc:TaxAmount/@currencyID = $cur)][1]"/>
    <xsl:variable name="second" select="../cac:TaxTotal[$taxcur != '' and $taxcur != $cur
                                        and cbc:TaxAmount/@currencyID = $taxcur][1]"/>
    <xsl:choose>
      <xsl:when test="generate-id(.) = generate-id($main)">
        <xsl:apply-templates select="*" mode="rest">
          <xsl:with-param name="probe" select="$probe"/>
        </xsl:apply-templates>
      </xsl:when>
      <xsl:when test="generate-id(.) = generate-id($second)">
        <xsl:apply-templates select="*[not(self::cbc:TaxAmount)]" mode="rest">
          <xsl:with-param name="probe" select="$probe"/>
        </xsl:apply-templates>
      </xsl:when>
      <xsl:when test="$probe">x</xsl:when>
      <xsl:otherwise><xsl:call-template name="keep"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- the price's allowance: only the gross price BT-148 is mapped (BT-147 is kept) -->
  <xsl:template mode="rest" match="cac:Price/cac:AllowanceCharge" priority="2">
    <xsl:param name="probe" select="false()"/>
    <xsl:apply-templates select="*[not(self::cbc:ChargeIndicator or self::cbc:BaseAmount)]" mode="rest">
      <xsl:with-param name="probe" select="$probe"/>
    </xsl:apply-templates>
  </xsl:template>

  <xsl:template mode="rest" match="cac:Price/cac:AllowanceCharge/*" priority="2">
    <xsl:param name="probe" select="false()"/>
    <xsl:choose>
      <xsl:when test="$probe">x</xsl:when>
      <xsl:otherwise><xsl:call-template name="keep"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- BT-90 as a party identifier goes to paymentMeans; without payment means it is kept. -->
  <xsl:template mode="rest" match="cac:PartyIdentification[cbc:ID/@schemeID = 'SEPA']" priority="2">
    <xsl:param name="probe" select="false()"/>
    <xsl:choose>
      <xsl:when test="/*/cac:PaymentMeans[normalize-space(cbc:PaymentMeansCode) != '']"/>
      <xsl:when test="$probe">x</xsl:when>
      <xsl:otherwise><xsl:call-template name="keep"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- mapped leaves -->
  <xsl:template mode="rest" match="/*/cbc:CustomizationID | /*/cbc:ProfileID | /*/cbc:ID | /*/cbc:IssueDate
                | /*/cbc:DueDate | /*/cbc:InvoiceTypeCode | /*/cbc:CreditNoteTypeCode | /*/cbc:Note
                | /*/cbc:TaxPointDate | /*/cbc:DocumentCurrencyCode | /*/cbc:TaxCurrencyCode
                | /*/cbc:AccountingCost | /*/cbc:BuyerReference
                | cac:InvoicePeriod/cbc:StartDate | cac:InvoicePeriod/cbc:EndDate
                | cac:OrderReference/cbc:ID | cac:OrderReference/cbc:SalesOrderID
                | cac:InvoiceDocumentReference/cbc:ID | cac:InvoiceDocumentReference/cbc:IssueDate
                | cac:DespatchDocumentReference/cbc:ID | cac:ReceiptDocumentReference/cbc:ID
                | cac:OriginatorDocumentReference/cbc:ID | cac:ContractDocumentReference/cbc:ID
                | cac:ProjectReference/cbc:ID | cac:AdditionalDocumentReference/cbc:ID
                | cac:AdditionalDocumentReference/cbc:DocumentTypeCode
                | cac:DocumentReference/cbc:ID | cac:DocumentReference/cbc:DocumentTypeCode
                | cac:Party/cbc:EndpointID | cac:PartyIdentification/cbc:ID | cac:PartyName/cbc:Name
                | cac:PostalAddress/cbc:StreetName | cac:PostalAddress/cbc:AdditionalStreetName
                | cac:PostalAddress/cbc:CityName | cac:PostalAddress/cbc:PostalZone
                | cac:PostalAddress/cbc:CountrySubentity | cac:Address/cbc:StreetName
                | cac:Address/cbc:AdditionalStreetName | cac:Address/cbc:CityName | cac:Address/cbc:PostalZone
                | cac:Address/cbc:CountrySubentity | cac:AddressLine/cbc:Line | cac:Country/cbc:IdentificationCode
                | cac:PartyTaxScheme/cbc:CompanyID | cac:TaxScheme/cbc:ID | cac:PartyLegalEntity/cbc:RegistrationName
                | cac:PartyLegalEntity/cbc:CompanyID | cac:Contact/cbc:Name | cac:Contact/cbc:Telephone
                | cac:Contact/cbc:Telefax | cac:Contact/cbc:ElectronicMail
                | cac:Delivery/cbc:ActualDeliveryDate | cac:DeliveryLocation/cbc:ID
                | cac:PaymentMeans/cbc:PaymentMeansCode | cac:PaymentMeans/cbc:PaymentID
                | cac:PaymentMeans/cbc:PaymentDueDate[not(/*/cbc:DueDate)][not(../preceding-sibling::cac:PaymentMeans/cbc:PaymentDueDate)]
                | cac:PayeeFinancialAccount/cbc:ID | cac:PayeeFinancialAccount/cbc:Name
                | cac:FinancialInstitutionBranch/cbc:ID | cac:CardAccount/cbc:PrimaryAccountNumberID
                | cac:CardAccount/cbc:HolderName | cac:PaymentMandate/cbc:ID | cac:PayerFinancialAccount/cbc:ID
                | cac:PaymentTerms/cbc:Note
                | cac:AllowanceCharge/cbc:ChargeIndicator | cac:AllowanceCharge/cbc:AllowanceChargeReasonCode
                | cac:AllowanceCharge/cbc:AllowanceChargeReason | cac:AllowanceCharge/cbc:MultiplierFactorNumeric
                | cac:AllowanceCharge/cbc:Amount | cac:AllowanceCharge/cbc:BaseAmount
                | cac:TaxCategory/cbc:ID | cac:TaxCategory/cbc:Percent | cac:TaxCategory/cbc:TaxExemptionReasonCode
                | cac:TaxCategory/cbc:TaxExemptionReason | cac:TaxTotal/cbc:TaxAmount
                | cac:TaxSubtotal/cbc:TaxableAmount | cac:TaxSubtotal/cbc:TaxAmount
                | cac:LegalMonetaryTotal/cbc:LineExtensionAmount | cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount
                | cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount | cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount
                | cac:LegalMonetaryTotal/cbc:ChargeTotalAmount | cac:LegalMonetaryTotal/cbc:PrepaidAmount
                | cac:LegalMonetaryTotal/cbc:PayableRoundingAmount | cac:LegalMonetaryTotal/cbc:PayableAmount
                | cac:InvoiceLine/cbc:ID | cac:InvoiceLine/cbc:Note | cac:InvoiceLine/cbc:InvoicedQuantity
                | cac:InvoiceLine/cbc:LineExtensionAmount | cac:InvoiceLine/cbc:AccountingCost
                | cac:CreditNoteLine/cbc:ID | cac:CreditNoteLine/cbc:Note | cac:CreditNoteLine/cbc:CreditedQuantity
                | cac:CreditNoteLine/cbc:LineExtensionAmount | cac:CreditNoteLine/cbc:AccountingCost
                | cac:OrderLineReference/cbc:LineID | cac:Item/cbc:Name | cac:Item/cbc:Description
                | cac:BuyersItemIdentification/cbc:ID | cac:SellersItemIdentification/cbc:ID
                | cac:StandardItemIdentification/cbc:ID | cac:OriginCountry/cbc:IdentificationCode
                | cac:CommodityClassification/cbc:ItemClassificationCode[not(@listVersionID)]
                | cac:ClassifiedTaxCategory/cbc:ID | cac:ClassifiedTaxCategory/cbc:Percent
                | cac:AdditionalItemProperty/cbc:Name | cac:AdditionalItemProperty/cbc:Value
                | cac:Price/cbc:PriceAmount | cac:Price/cbc:BaseQuantity"/>

  <!-- Copy the node as received inside empty copies of its ancestors below the document
       (or below its line). -->
  <xsl:template name="keep">
    <xsl:variable name="line" select="ancestor::cac:InvoiceLine | ancestor::cac:CreditNoteLine"/>
    <xsl:variable name="top" select="count($line[last()]/ancestor::*)"/>
    <xsl:call-template name="wrap">
      <xsl:with-param name="chain" select="ancestor::*[count(ancestor::*) &gt; $top]"/>
      <xsl:with-param name="node" select="."/>
    </xsl:call-template>
  </xsl:template>

  <xsl:template name="wrap">
    <xsl:param name="chain"/>
    <xsl:param name="node"/>
    <xsl:choose>
      <xsl:when test="$chain">
        <xsl:element name="{name($chain[1])}" namespace="{namespace-uri($chain[1])}">
          <xsl:call-template name="wrap">
            <xsl:with-param name="chain" select="$chain[position() &gt; 1]"/>
            <xsl:with-param name="node" select="$node"/>
          </xsl:call-template>
        </xsl:element>
      </xsl:when>
      <xsl:otherwise><xsl:copy-of select="$node"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

</xsl:stylesheet>
