<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical invoice -> UN/CEFACT Cross Industry Invoice D16B as an EN 16931 e-invoice
  (docs/canonical.md "canonical invoice -> UBL and CII (XRechnung, Peppol)").
  The input is a canonical invoice that C has already completed (line amounts, totals and
  the VAT breakdown are present): this stylesheet only moves strings and never computes.
  Elements follow the sequences of CrossIndustryInvoice_100pD16B.xsd, which the Factur-X
  EN16931 schema restricts without reordering; a value the canonical document does not have
  is not written. Dates are udt:DateTimeString format 102 (CCYYMMDD, cut out of the ISO
  text); amounts carry no currencyID except ram:TaxTotalAmount, where it tells BT-110 from
  BT-111. It stops with a message only when the schema itself could not be met (no issue
  date); whether the invoice is complete by the EN 16931 business rules (and by the stricter
  Factur-X schema) is checked in C.
  Parameter (string): profile = 'xrechnung' (default, XRechnung 3.0), 'en16931' or
  'facturx-en16931' (both urn:cen.eu:en16931:2017; the latter is meant to be checked against
  the Factur-X EN16931 schema: one contact, one electronic address and one payment terms
  entry are written, which that schema allows).
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
                xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
                xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
                xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
                exclude-result-prefixes="c">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:param name="profile" select="'xrechnung'"/>

  <xsl:variable name="doc" select="/c:invoice"/>
  <xsl:variable name="credit" select="$doc/c:type = 'credit_note' or $doc/c:type/@code = '381'"/>
  <xsl:variable name="cur" select="string($doc/c:currency)"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="nl" select="'&#10;'"/>

  <xsl:template match="/">
    <xsl:if test="not($doc)">
      <xsl:message terminate="yes">the document is not a canonical invoice</xsl:message>
    </xsl:if>
    <xsl:if test="$profile != 'xrechnung' and $profile != 'en16931' and $profile != 'facturx-en16931'">
      <xsl:message terminate="yes">the parameter profile must be xrechnung, en16931 or facturx-en16931</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:date[@role='document'])">
      <xsl:message terminate="yes">the invoice has no issue date (date role="document", BT-2), which ram:IssueDateTime requires</xsl:message>
    </xsl:if>
    <rsm:CrossIndustryInvoice>
      <rsm:ExchangedDocumentContext>
        <xsl:choose>
          <xsl:when test="$profile = 'xrechnung'">
            <ram:BusinessProcessSpecifiedDocumentContextParameter>
              <ram:ID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</ram:ID>
            </ram:BusinessProcessSpecifiedDocumentContextParameter>
          </xsl:when>
          <xsl:when test="normalize-space($doc/c:process)">
            <ram:BusinessProcessSpecifiedDocumentContextParameter>
              <ram:ID><xsl:value-of select="$doc/c:process"/></ram:ID>
            </ram:BusinessProcessSpecifiedDocumentContextParameter>
          </xsl:when>
        </xsl:choose>
        <ram:GuidelineSpecifiedDocumentContextParameter>
          <ram:ID>
            <xsl:choose>
              <xsl:when test="$profile = 'xrechnung'">urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</xsl:when>
              <xsl:otherwise>urn:cen.eu:en16931:2017</xsl:otherwise>
            </xsl:choose>
          </ram:ID>
        </ram:GuidelineSpecifiedDocumentContextParameter>
      </rsm:ExchangedDocumentContext>
      <rsm:ExchangedDocument>
        <ram:ID><xsl:value-of select="$doc/c:number"/></ram:ID>
        <ram:TypeCode>
          <xsl:choose>
            <xsl:when test="normalize-space($doc/c:type/@code)"><xsl:value-of select="$doc/c:type/@code"/></xsl:when>
            <xsl:when test="$credit">381</xsl:when>
            <xsl:otherwise>380</xsl:otherwise>
          </xsl:choose>
        </ram:TypeCode>
        <ram:IssueDateTime>
          <xsl:apply-templates select="$doc/c:date[@role='document'][1]" mode="udt"/>
        </ram:IssueDateTime>
        <xsl:for-each select="$doc/c:text[normalize-space()]">
          <ram:IncludedNote>
            <ram:Content><xsl:value-of select="."/></ram:Content>
            <xsl:if test="string-length(@qualifier) = 3 and translate(@qualifier, $upper, '') = ''">
              <ram:SubjectCode><xsl:value-of select="@qualifier"/></ram:SubjectCode>
            </xsl:if>
          </ram:IncludedNote>
        </xsl:for-each>
      </rsm:ExchangedDocument>
      <rsm:SupplyChainTradeTransaction>
        <xsl:apply-templates select="$doc/c:line"/>
        <xsl:apply-templates select="$doc" mode="agreement"/>
        <xsl:apply-templates select="$doc" mode="delivery"/>
        <xsl:apply-templates select="$doc" mode="settlement"/>
      </rsm:SupplyChainTradeTransaction>
    </rsm:CrossIndustryInvoice>
  </xsl:template>

  <!-- ==== helpers =================================================================== -->

  <!-- An ISO date as udt:DateTimeString format 102: CCYYMMDD cut out of YYYY-MM-DD. -->
  <xsl:template match="*" mode="udt">
    <udt:DateTimeString format="102">
      <xsl:value-of select="concat(substring(., 1, 4), substring(., 6, 2), substring(., 9, 2))"/>
    </udt:DateTimeString>
  </xsl:template>

  <xsl:template name="qdt-date">
    <xsl:param name="iso"/>
    <qdt:DateTimeString format="102">
      <xsl:value-of select="concat(substring($iso, 1, 4), substring($iso, 6, 2), substring($iso, 9, 2))"/>
    </qdt:DateTimeString>
  </xsl:template>

  <!-- BG-14 / BG-26: ram:BillingSpecifiedPeriod of the context node. -->
  <xsl:template name="period">
    <xsl:if test="c:date[@role='period_start'] or c:date[@role='period_end']">
      <ram:BillingSpecifiedPeriod>
        <xsl:for-each select="c:date[@role='period_start'][1]">
          <ram:StartDateTime><xsl:apply-templates select="." mode="udt"/></ram:StartDateTime>
        </xsl:for-each>
        <xsl:for-each select="c:date[@role='period_end'][1]">
          <ram:EndDateTime><xsl:apply-templates select="." mode="udt"/></ram:EndDateTime>
        </xsl:for-each>
      </ram:BillingSpecifiedPeriod>
    </xsl:if>
  </xsl:template>

  <!-- The ISO 6523 ICD of a party identifier, or nothing: GLN 0088, DUNS 0060, an @agency
       of four digits as it is. -->
  <xsl:template name="icd">
    <xsl:choose>
      <xsl:when test="@scheme = 'gln'">0088</xsl:when>
      <xsl:when test="@scheme = 'duns'">0060</xsl:when>
      <xsl:when test="string-length(@agency) = 4 and translate(@agency, '0123456789', '') = ''">
        <xsl:value-of select="@agency"/>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- A party identifier: ram:GlobalID with its ICD as schemeID, or ram:ID without one. The
       caller writes all ram:ID before all ram:GlobalID (mode id, then mode global-id). -->
  <xsl:template match="c:id" mode="id">
    <xsl:variable name="icd"><xsl:call-template name="icd"/></xsl:variable>
    <xsl:if test="$icd = ''"><ram:ID><xsl:value-of select="."/></ram:ID></xsl:if>
  </xsl:template>

  <xsl:template match="c:id" mode="global-id">
    <xsl:variable name="icd"><xsl:call-template name="icd"/></xsl:variable>
    <xsl:if test="$icd != ''"><ram:GlobalID schemeID="{$icd}"><xsl:value-of select="."/></ram:GlobalID></xsl:if>
  </xsl:template>

  <xsl:template name="party-ids">
    <xsl:param name="ids"/>
    <xsl:apply-templates select="$ids" mode="id"/>
    <xsl:apply-templates select="$ids" mode="global-id"/>
  </xsl:template>

  <!-- ram:PostalTradeAddress (BG-5, BG-8, BG-12, BG-15), written when there is address data. -->
  <xsl:template name="address">
    <xsl:if test="c:street[normalize-space()] or c:city[normalize-space()] or c:postcode[normalize-space()]
                  or c:countrySubdivision[normalize-space()] or c:country">
      <ram:PostalTradeAddress>
        <xsl:for-each select="c:postcode[normalize-space()]"><ram:PostcodeCode><xsl:value-of select="."/></ram:PostcodeCode></xsl:for-each>
        <xsl:for-each select="c:street[normalize-space()][1]"><ram:LineOne><xsl:value-of select="."/></ram:LineOne></xsl:for-each>
        <xsl:for-each select="c:street[normalize-space()][2]"><ram:LineTwo><xsl:value-of select="."/></ram:LineTwo></xsl:for-each>
        <xsl:for-each select="c:street[normalize-space()][3]"><ram:LineThree><xsl:value-of select="."/></ram:LineThree></xsl:for-each>
        <xsl:for-each select="c:city[normalize-space()]"><ram:CityName><xsl:value-of select="."/></ram:CityName></xsl:for-each>
        <xsl:for-each select="c:country"><ram:CountryID><xsl:value-of select="."/></ram:CountryID></xsl:for-each>
        <xsl:for-each select="c:countrySubdivision[normalize-space()]"><ram:CountrySubDivisionName><xsl:value-of select="."/></ram:CountrySubDivisionName></xsl:for-each>
      </ram:PostalTradeAddress>
    </xsl:if>
  </xsl:template>

  <xsl:template name="vat-registration">
    <xsl:for-each select="c:id[@scheme='vat'][1]">
      <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA"><xsl:value-of select="."/></ram:ID></ram:SpecifiedTaxRegistration>
    </xsl:for-each>
  </xsl:template>

  <!-- Seller (BG-4) and buyer (BG-7) in TradePartyType order. -->
  <xsl:template match="c:party" mode="trade-party">
    <xsl:param name="element"/>
    <xsl:element name="ram:{$element}">
      <xsl:choose>
        <xsl:when test="@role = 'supplier'">
          <xsl:call-template name="party-ids">
            <xsl:with-param name="ids" select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal']"/>
          </xsl:call-template>
        </xsl:when>
        <!-- The buyer has one identifier (BT-46). -->
        <xsl:otherwise>
          <xsl:call-template name="party-ids">
            <xsl:with-param name="ids" select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][1]"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="c:name[normalize-space()][1]"><ram:Name><xsl:value-of select="."/></ram:Name></xsl:for-each>
      <xsl:if test="c:id[@scheme='legal'] or c:tradingName[normalize-space()]">
        <ram:SpecifiedLegalOrganization>
          <xsl:for-each select="c:id[@scheme='legal'][1]">
            <xsl:variable name="icd"><xsl:call-template name="icd"/></xsl:variable>
            <ram:ID>
              <xsl:if test="$icd != ''"><xsl:attribute name="schemeID"><xsl:value-of select="$icd"/></xsl:attribute></xsl:if>
              <xsl:value-of select="."/>
            </ram:ID>
          </xsl:for-each>
          <xsl:for-each select="c:tradingName[normalize-space()]"><ram:TradingBusinessName><xsl:value-of select="."/></ram:TradingBusinessName></xsl:for-each>
        </ram:SpecifiedLegalOrganization>
      </xsl:if>
      <xsl:for-each select="c:contact[c:name[normalize-space()] or c:department[normalize-space()]
                            or c:phone[normalize-space()] or c:email[normalize-space()]][1]">
        <ram:DefinedTradeContact>
          <xsl:for-each select="c:name[normalize-space()]"><ram:PersonName><xsl:value-of select="."/></ram:PersonName></xsl:for-each>
          <xsl:for-each select="c:department[normalize-space()]"><ram:DepartmentName><xsl:value-of select="."/></ram:DepartmentName></xsl:for-each>
          <xsl:for-each select="c:phone[normalize-space()][1]">
            <ram:TelephoneUniversalCommunication><ram:CompleteNumber><xsl:value-of select="."/></ram:CompleteNumber></ram:TelephoneUniversalCommunication>
          </xsl:for-each>
          <xsl:for-each select="c:email[normalize-space()][1]">
            <ram:EmailURIUniversalCommunication><ram:URIID><xsl:value-of select="."/></ram:URIID></ram:EmailURIUniversalCommunication>
          </xsl:for-each>
        </ram:DefinedTradeContact>
      </xsl:for-each>
      <xsl:call-template name="address"/>
      <xsl:for-each select="c:electronicAddress">
        <ram:URIUniversalCommunication>
          <ram:URIID>
            <xsl:if test="normalize-space(@scheme)"><xsl:attribute name="schemeID"><xsl:value-of select="@scheme"/></xsl:attribute></xsl:if>
            <xsl:value-of select="."/>
          </ram:URIID>
        </ram:URIUniversalCommunication>
      </xsl:for-each>
      <xsl:call-template name="vat-registration"/>
      <!-- BT-32 exists for the seller only; FC is the German Steuernummer scheme. -->
      <xsl:if test="@role = 'supplier'">
        <xsl:for-each select="c:id[@scheme='tax_number'][1]">
          <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC"><xsl:value-of select="."/></ram:ID></ram:SpecifiedTaxRegistration>
        </xsl:for-each>
      </xsl:if>
    </xsl:element>
  </xsl:template>

  <!-- Seller's tax representative (BG-11): name, address, VAT identifier. -->
  <xsl:template match="c:party" mode="tax-representative">
    <ram:SellerTaxRepresentativeTradeParty>
      <xsl:for-each select="c:name[normalize-space()][1]"><ram:Name><xsl:value-of select="."/></ram:Name></xsl:for-each>
      <xsl:call-template name="address"/>
      <xsl:call-template name="vat-registration"/>
    </ram:SellerTaxRepresentativeTradeParty>
  </xsl:template>

  <!-- Deliver-to (BG-13): location identifier, name, address. -->
  <xsl:template match="c:party" mode="ship-to">
    <ram:ShipToTradeParty>
      <xsl:choose>
        <xsl:when test="c:id[@scheme='gln']">
          <xsl:call-template name="party-ids"><xsl:with-param name="ids" select="c:id[@scheme='gln'][1]"/></xsl:call-template>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="party-ids">
            <xsl:with-param name="ids" select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][1]"/>
          </xsl:call-template>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="c:name[normalize-space()][1]"><ram:Name><xsl:value-of select="."/></ram:Name></xsl:for-each>
      <xsl:call-template name="address"/>
    </ram:ShipToTradeParty>
  </xsl:template>

  <!-- Payee (BG-10): identifier, name, legal registration. -->
  <xsl:template match="c:party" mode="payee">
    <ram:PayeeTradeParty>
      <xsl:call-template name="party-ids">
        <xsl:with-param name="ids" select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][1]"/>
      </xsl:call-template>
      <xsl:for-each select="c:name[normalize-space()][1]"><ram:Name><xsl:value-of select="."/></ram:Name></xsl:for-each>
      <xsl:for-each select="c:id[@scheme='legal'][1]">
        <xsl:variable name="icd"><xsl:call-template name="icd"/></xsl:variable>
        <ram:SpecifiedLegalOrganization>
          <ram:ID>
            <xsl:if test="$icd != ''"><xsl:attribute name="schemeID"><xsl:value-of select="$icd"/></xsl:attribute></xsl:if>
            <xsl:value-of select="."/>
          </ram:ID>
        </ram:SpecifiedLegalOrganization>
      </xsl:for-each>
    </ram:PayeeTradeParty>
  </xsl:template>

  <!-- A tax category (ram:ApplicableTradeTax or ram:CategoryTradeTax) in TradeTaxType order;
       with $breakdown the amounts and exemption of a VAT breakdown entry (BG-23). -->
  <xsl:template match="c:tax" mode="trade-tax">
    <xsl:param name="element" select="'ApplicableTradeTax'"/>
    <xsl:param name="breakdown" select="false()"/>
    <xsl:element name="ram:{$element}">
      <xsl:if test="$breakdown">
        <xsl:for-each select="c:amount"><ram:CalculatedAmount><xsl:value-of select="."/></ram:CalculatedAmount></xsl:for-each>
      </xsl:if>
      <ram:TypeCode>VAT</ram:TypeCode>
      <xsl:if test="$breakdown">
        <xsl:for-each select="c:exemptionReason[normalize-space()]"><ram:ExemptionReason><xsl:value-of select="."/></ram:ExemptionReason></xsl:for-each>
        <xsl:for-each select="c:basisAmount"><ram:BasisAmount><xsl:value-of select="."/></ram:BasisAmount></xsl:for-each>
      </xsl:if>
      <xsl:for-each select="c:category[normalize-space()]"><ram:CategoryCode><xsl:value-of select="."/></ram:CategoryCode></xsl:for-each>
      <xsl:if test="$breakdown">
        <xsl:for-each select="c:exemptionCode[normalize-space()]"><ram:ExemptionReasonCode><xsl:value-of select="."/></ram:ExemptionReasonCode></xsl:for-each>
        <!-- BT-7 is given with each breakdown entry in CII. -->
        <xsl:for-each select="$doc/c:date[@role='tax_point'][1]">
          <ram:TaxPointDate>
            <udt:DateString format="102"><xsl:value-of select="concat(substring(., 1, 4), substring(., 6, 2), substring(., 9, 2))"/></udt:DateString>
          </ram:TaxPointDate>
        </xsl:for-each>
      </xsl:if>
      <xsl:for-each select="c:ratePercent"><ram:RateApplicablePercent><xsl:value-of select="."/></ram:RateApplicablePercent></xsl:for-each>
    </xsl:element>
  </xsl:template>

  <!-- Allowance or charge: document level (BG-20, BG-21, with its VAT category) and line
       level (BG-27, BG-28). -->
  <xsl:template match="c:allowanceCharge">
    <ram:SpecifiedTradeAllowanceCharge>
      <ram:ChargeIndicator><udt:Indicator><xsl:value-of select="@kind = 'charge'"/></udt:Indicator></ram:ChargeIndicator>
      <xsl:for-each select="c:percent"><ram:CalculationPercent><xsl:value-of select="."/></ram:CalculationPercent></xsl:for-each>
      <xsl:for-each select="c:basisAmount"><ram:BasisAmount><xsl:value-of select="."/></ram:BasisAmount></xsl:for-each>
      <xsl:for-each select="c:amount"><ram:ActualAmount><xsl:value-of select="."/></ram:ActualAmount></xsl:for-each>
      <xsl:for-each select="c:reason[normalize-space(@qualifier)]"><ram:ReasonCode><xsl:value-of select="@qualifier"/></ram:ReasonCode></xsl:for-each>
      <xsl:for-each select="c:reason[normalize-space()]"><ram:Reason><xsl:value-of select="."/></ram:Reason></xsl:for-each>
      <xsl:if test="not(parent::c:line)">
        <xsl:apply-templates select="c:tax" mode="trade-tax"><xsl:with-param name="element" select="'CategoryTradeTax'"/></xsl:apply-templates>
      </xsl:if>
    </ram:SpecifiedTradeAllowanceCharge>
  </xsl:template>

  <!-- ==== lines (BG-25) ============================================================= -->

  <xsl:template match="c:line">
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument>
        <ram:LineID><xsl:value-of select="c:number"/></ram:LineID>
        <xsl:if test="c:text[normalize-space()]">
          <ram:IncludedNote>
            <ram:Content>
              <xsl:for-each select="c:text[normalize-space()]">
                <xsl:if test="position() > 1"><xsl:value-of select="$nl"/></xsl:if>
                <xsl:value-of select="."/>
              </xsl:for-each>
            </ram:Content>
          </ram:IncludedNote>
        </xsl:if>
      </ram:AssociatedDocumentLineDocument>
      <xsl:if test="c:gtin[normalize-space()] or c:supplierArticle[normalize-space()] or c:buyerArticle[normalize-space()]
                    or c:description[normalize-space()] or c:attribute or c:classification[normalize-space()] or c:originCountry">
        <ram:SpecifiedTradeProduct>
          <xsl:for-each select="c:gtin[normalize-space()]"><ram:GlobalID schemeID="0160"><xsl:value-of select="."/></ram:GlobalID></xsl:for-each>
          <xsl:for-each select="c:supplierArticle[normalize-space()]"><ram:SellerAssignedID><xsl:value-of select="."/></ram:SellerAssignedID></xsl:for-each>
          <xsl:for-each select="c:buyerArticle[normalize-space()]"><ram:BuyerAssignedID><xsl:value-of select="."/></ram:BuyerAssignedID></xsl:for-each>
          <!-- BT-153 and BT-154: by @qualifier name/description when the descriptions carry
               them (UBL and CII sources), else the first and the second. -->
          <xsl:variable name="by-role" select="c:description[@qualifier = 'name' or @qualifier = 'description']"/>
          <xsl:for-each select="c:description[@qualifier = 'name'][normalize-space()][1]
                                | c:description[normalize-space()][1][not($by-role)]">
            <ram:Name><xsl:value-of select="."/></ram:Name>
          </xsl:for-each>
          <xsl:for-each select="c:description[@qualifier = 'description'][normalize-space()][1]
                                | c:description[normalize-space()][2][not($by-role)]">
            <ram:Description><xsl:value-of select="."/></ram:Description>
          </xsl:for-each>
          <xsl:for-each select="c:attribute">
            <ram:ApplicableProductCharacteristic>
              <ram:Description><xsl:value-of select="c:name"/></ram:Description>
              <ram:Value><xsl:value-of select="c:value"/></ram:Value>
            </ram:ApplicableProductCharacteristic>
          </xsl:for-each>
          <xsl:for-each select="c:classification[normalize-space()]">
            <ram:DesignatedProductClassification>
              <ram:ClassCode>
                <xsl:if test="normalize-space(@qualifier)"><xsl:attribute name="listID"><xsl:value-of select="@qualifier"/></xsl:attribute></xsl:if>
                <xsl:value-of select="."/>
              </ram:ClassCode>
            </ram:DesignatedProductClassification>
          </xsl:for-each>
          <xsl:for-each select="c:originCountry"><ram:OriginTradeCountry><ram:ID><xsl:value-of select="."/></ram:ID></ram:OriginTradeCountry></xsl:for-each>
        </ram:SpecifiedTradeProduct>
      </xsl:if>
      <xsl:variable name="order-line" select="c:reference[@kind='customer_order'][normalize-space(@line)][1]"/>
      <xsl:if test="$order-line or c:grossPrice or c:netPrice">
        <ram:SpecifiedLineTradeAgreement>
          <xsl:for-each select="$order-line">
            <ram:BuyerOrderReferencedDocument><ram:LineID><xsl:value-of select="@line"/></ram:LineID></ram:BuyerOrderReferencedDocument>
          </xsl:for-each>
          <xsl:for-each select="c:grossPrice">
            <ram:GrossPriceProductTradePrice>
              <ram:ChargeAmount><xsl:value-of select="."/></ram:ChargeAmount>
              <xsl:call-template name="basis-quantity"/>
            </ram:GrossPriceProductTradePrice>
          </xsl:for-each>
          <xsl:for-each select="c:netPrice">
            <ram:NetPriceProductTradePrice>
              <ram:ChargeAmount><xsl:value-of select="."/></ram:ChargeAmount>
              <xsl:call-template name="basis-quantity"/>
            </ram:NetPriceProductTradePrice>
          </xsl:for-each>
        </ram:SpecifiedLineTradeAgreement>
      </xsl:if>
      <xsl:for-each select="c:quantity">
        <ram:SpecifiedLineTradeDelivery>
          <ram:BilledQuantity>
            <xsl:if test="@unit"><xsl:attribute name="unitCode"><xsl:value-of select="@unit"/></xsl:attribute></xsl:if>
            <xsl:value-of select="."/>
          </ram:BilledQuantity>
        </ram:SpecifiedLineTradeDelivery>
      </xsl:for-each>
      <ram:SpecifiedLineTradeSettlement>
        <xsl:apply-templates select="c:tax[1]" mode="trade-tax"/>
        <xsl:call-template name="period"/>
        <xsl:apply-templates select="c:allowanceCharge"/>
        <xsl:for-each select="c:lineAmount">
          <ram:SpecifiedTradeSettlementLineMonetarySummation>
            <ram:LineTotalAmount><xsl:value-of select="."/></ram:LineTotalAmount>
          </ram:SpecifiedTradeSettlementLineMonetarySummation>
        </xsl:for-each>
        <xsl:for-each select="c:reference[@kind='invoiced_object'][1]">
          <ram:AdditionalReferencedDocument>
            <ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID>
            <ram:TypeCode>130</ram:TypeCode>
            <xsl:if test="normalize-space(@qualifier)"><ram:ReferenceTypeCode><xsl:value-of select="@qualifier"/></ram:ReferenceTypeCode></xsl:if>
          </ram:AdditionalReferencedDocument>
        </xsl:for-each>
        <xsl:for-each select="c:reference[@kind='accounting'][1]">
          <ram:ReceivableSpecifiedTradeAccountingAccount><ram:ID><xsl:value-of select="."/></ram:ID></ram:ReceivableSpecifiedTradeAccountingAccount>
        </xsl:for-each>
      </ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
  </xsl:template>

  <!-- BT-149 and BT-150 of the context price: its basis, in its own unit or the line's. -->
  <xsl:template name="basis-quantity">
    <xsl:for-each select="@basisQuantity">
      <ram:BasisQuantity>
        <xsl:choose>
          <xsl:when test="../@basisUnit"><xsl:attribute name="unitCode"><xsl:value-of select="../@basisUnit"/></xsl:attribute></xsl:when>
          <xsl:when test="../../c:quantity/@unit"><xsl:attribute name="unitCode"><xsl:value-of select="../../c:quantity/@unit"/></xsl:attribute></xsl:when>
        </xsl:choose>
        <xsl:value-of select="."/>
      </ram:BasisQuantity>
    </xsl:for-each>
  </xsl:template>

  <!-- ==== header ==================================================================== -->

  <xsl:template match="c:invoice" mode="agreement">
    <ram:ApplicableHeaderTradeAgreement>
      <xsl:for-each select="c:reference[@kind='buyer_reference'][1]"><ram:BuyerReference><xsl:value-of select="."/></ram:BuyerReference></xsl:for-each>
      <xsl:apply-templates select="c:party[@role='supplier'][1]" mode="trade-party">
        <xsl:with-param name="element" select="'SellerTradeParty'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="c:party[@role='buyer'][1]" mode="trade-party">
        <xsl:with-param name="element" select="'BuyerTradeParty'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="c:party[@role='tax_representative'][1]" mode="tax-representative"/>
      <xsl:for-each select="c:reference[@kind='supplier_order'][1]">
        <ram:SellerOrderReferencedDocument><ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID></ram:SellerOrderReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='customer_order'][1]">
        <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='contract'][1]">
        <ram:ContractReferencedDocument><ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID></ram:ContractReferencedDocument>
      </xsl:for-each>
      <!-- BT-17 tender or lot (type 50), BT-18 invoiced object (130), BT-122 supporting
           document (916). -->
      <xsl:for-each select="c:reference[@kind='tender'][1]">
        <ram:AdditionalReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID>
          <ram:TypeCode>50</ram:TypeCode>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='invoiced_object'][1]">
        <ram:AdditionalReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID>
          <ram:TypeCode>130</ram:TypeCode>
          <xsl:if test="normalize-space(@qualifier)"><ram:ReferenceTypeCode><xsl:value-of select="@qualifier"/></ram:ReferenceTypeCode></xsl:if>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='other']">
        <ram:AdditionalReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID>
          <ram:TypeCode>916</ram:TypeCode>
        </ram:AdditionalReferencedDocument>
      </xsl:for-each>
      <!-- BT-11 has no name in EN 16931; the schema requires ram:Name. -->
      <xsl:for-each select="c:reference[@kind='project'][1]">
        <ram:SpecifiedProcuringProject>
          <ram:ID><xsl:value-of select="."/></ram:ID>
          <ram:Name>Project reference</ram:Name>
        </ram:SpecifiedProcuringProject>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeAgreement>
  </xsl:template>

  <xsl:template match="c:invoice" mode="delivery">
    <ram:ApplicableHeaderTradeDelivery>
      <xsl:apply-templates select="c:party[@role='delivery'][1]" mode="ship-to"/>
      <xsl:for-each select="c:date[@role='delivery'][1]">
        <ram:ActualDeliverySupplyChainEvent>
          <ram:OccurrenceDateTime><xsl:apply-templates select="." mode="udt"/></ram:OccurrenceDateTime>
        </ram:ActualDeliverySupplyChainEvent>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='despatch_advice'][1]">
        <ram:DespatchAdviceReferencedDocument><ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID></ram:DespatchAdviceReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='receiving_advice'][1]">
        <ram:ReceivingAdviceReferencedDocument><ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID></ram:ReceivingAdviceReferencedDocument>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeDelivery>
  </xsl:template>

  <xsl:template match="c:invoice" mode="settlement">
    <ram:ApplicableHeaderTradeSettlement>
      <xsl:for-each select="(c:paymentMeans/c:creditorId[normalize-space()])[1]">
        <ram:CreditorReferenceID><xsl:value-of select="."/></ram:CreditorReferenceID>
      </xsl:for-each>
      <xsl:for-each select="(c:paymentMeans/c:remittance[normalize-space()])[1]">
        <ram:PaymentReference><xsl:value-of select="."/></ram:PaymentReference>
      </xsl:for-each>
      <xsl:for-each select="c:taxCurrency"><ram:TaxCurrencyCode><xsl:value-of select="."/></ram:TaxCurrencyCode></xsl:for-each>
      <xsl:for-each select="c:currency"><ram:InvoiceCurrencyCode><xsl:value-of select="."/></ram:InvoiceCurrencyCode></xsl:for-each>
      <xsl:apply-templates select="c:party[@role='payee'][1]" mode="payee"/>
      <xsl:apply-templates select="c:paymentMeans"/>
      <xsl:apply-templates select="c:tax" mode="trade-tax"><xsl:with-param name="breakdown" select="true()"/></xsl:apply-templates>
      <xsl:call-template name="period"/>
      <xsl:apply-templates select="c:allowanceCharge"/>
      <xsl:variable name="due" select="(c:date[@role='due'] | c:paymentTerms/c:dueDate)[1]"/>
      <xsl:variable name="mandate" select="(c:paymentMeans/c:mandate[normalize-space()])[1]"/>
      <xsl:if test="c:paymentTerms/c:text[normalize-space()] or $due or $mandate">
        <ram:SpecifiedTradePaymentTerms>
          <xsl:if test="c:paymentTerms/c:text[normalize-space()]">
            <ram:Description>
              <xsl:for-each select="c:paymentTerms/c:text[normalize-space()]">
                <xsl:if test="position() > 1"><xsl:value-of select="$nl"/></xsl:if>
                <xsl:value-of select="."/>
              </xsl:for-each>
            </ram:Description>
          </xsl:if>
          <xsl:for-each select="$due"><ram:DueDateDateTime><xsl:apply-templates select="." mode="udt"/></ram:DueDateDateTime></xsl:for-each>
          <xsl:for-each select="$mandate"><ram:DirectDebitMandateID><xsl:value-of select="."/></ram:DirectDebitMandateID></xsl:for-each>
        </ram:SpecifiedTradePaymentTerms>
      </xsl:if>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <xsl:for-each select="c:totals/c:lineAmountTotal"><ram:LineTotalAmount><xsl:value-of select="."/></ram:LineTotalAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:chargeTotal"><ram:ChargeTotalAmount><xsl:value-of select="."/></ram:ChargeTotalAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:allowanceTotal"><ram:AllowanceTotalAmount><xsl:value-of select="."/></ram:AllowanceTotalAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:taxBasisTotal"><ram:TaxBasisTotalAmount><xsl:value-of select="."/></ram:TaxBasisTotalAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:taxTotal">
          <ram:TaxTotalAmount>
            <xsl:if test="$cur != ''"><xsl:attribute name="currencyID"><xsl:value-of select="$cur"/></xsl:attribute></xsl:if>
            <xsl:value-of select="."/>
          </ram:TaxTotalAmount>
        </xsl:for-each>
        <xsl:if test="c:taxCurrency">
          <xsl:for-each select="c:totals/c:taxTotalInTaxCurrency">
            <ram:TaxTotalAmount currencyID="{../../c:taxCurrency}"><xsl:value-of select="."/></ram:TaxTotalAmount>
          </xsl:for-each>
        </xsl:if>
        <xsl:for-each select="c:totals/c:roundingAmount"><ram:RoundingAmount><xsl:value-of select="."/></ram:RoundingAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:grandTotal"><ram:GrandTotalAmount><xsl:value-of select="."/></ram:GrandTotalAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:prepaidAmount"><ram:TotalPrepaidAmount><xsl:value-of select="."/></ram:TotalPrepaidAmount></xsl:for-each>
        <xsl:for-each select="c:totals/c:payableAmount"><ram:DuePayableAmount><xsl:value-of select="."/></ram:DuePayableAmount></xsl:for-each>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
      <!-- BT-25/BT-26: the D16B schema allows one preceding invoice here. -->
      <xsl:for-each select="c:reference[@kind='invoice'][1]">
        <ram:InvoiceReferencedDocument>
          <ram:IssuerAssignedID><xsl:value-of select="."/></ram:IssuerAssignedID>
          <xsl:if test="@date">
            <ram:FormattedIssueDateTime><xsl:call-template name="qdt-date"><xsl:with-param name="iso" select="@date"/></xsl:call-template></ram:FormattedIssueDateTime>
          </xsl:if>
        </ram:InvoiceReferencedDocument>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='accounting'][1]">
        <ram:ReceivableSpecifiedTradeAccountingAccount><ram:ID><xsl:value-of select="."/></ram:ID></ram:ReceivableSpecifiedTradeAccountingAccount>
      </xsl:for-each>
    </ram:ApplicableHeaderTradeSettlement>
  </xsl:template>

  <!-- BG-16: one ram:SpecifiedTradeSettlementPaymentMeans per payee account, or one
       without an account. -->
  <xsl:template match="c:paymentMeans">
    <xsl:choose>
      <xsl:when test="c:account">
        <xsl:for-each select="c:account">
          <xsl:apply-templates select=".." mode="one"><xsl:with-param name="account" select="."/></xsl:apply-templates>
        </xsl:for-each>
      </xsl:when>
      <xsl:otherwise><xsl:apply-templates select="." mode="one"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="c:paymentMeans" mode="one">
    <xsl:param name="account" select="/.."/>
    <ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:TypeCode><xsl:value-of select="@code"/></ram:TypeCode>
      <xsl:for-each select="c:text[normalize-space()]"><ram:Information><xsl:value-of select="."/></ram:Information></xsl:for-each>
      <xsl:for-each select="c:cardNumber[normalize-space()]">
        <ram:ApplicableTradeSettlementFinancialCard>
          <ram:ID><xsl:value-of select="."/></ram:ID>
          <xsl:for-each select="../c:cardHolder[normalize-space()]"><ram:CardholderName><xsl:value-of select="."/></ram:CardholderName></xsl:for-each>
        </ram:ApplicableTradeSettlementFinancialCard>
      </xsl:for-each>
      <xsl:for-each select="c:debitedAccount[normalize-space()]">
        <ram:PayerPartyDebtorFinancialAccount><ram:IBANID><xsl:value-of select="."/></ram:IBANID></ram:PayerPartyDebtorFinancialAccount>
      </xsl:for-each>
      <xsl:for-each select="$account">
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID><xsl:value-of select="c:iban"/></ram:IBANID>
          <xsl:for-each select="c:name[normalize-space()]"><ram:AccountName><xsl:value-of select="."/></ram:AccountName></xsl:for-each>
        </ram:PayeePartyCreditorFinancialAccount>
        <xsl:for-each select="c:bic[normalize-space()]">
          <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID><xsl:value-of select="."/></ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>
        </xsl:for-each>
      </xsl:for-each>
    </ram:SpecifiedTradeSettlementPaymentMeans>
  </xsl:template>
</xsl:stylesheet>
