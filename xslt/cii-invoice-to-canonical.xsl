<?xml version="1.0" encoding="UTF-8"?>
<!--
  UN/CEFACT Cross Industry Invoice D16B (EN 16931 CII: XRechnung, Factur-X/ZUGFeRD 2.x in
  every profile, CEN examples) -> canonical invoice (formats/canonical/canonical.xsd; field
  table in docs/canonical.md, "UBL and CII invoices -> canonical invoice").

  The caller identifies the document first (gateway/einvoice.h: BT-24, not the root); any
  root other than rsm:CrossIndustryInvoice stops the transformation with a message.

  Values are moved as strings: amounts, quantities and rates only lose surrounding blanks
  and a leading plus sign (".5" becomes "0.5"); nothing is computed. Dates in format 102
  (CCYYMMDD) become YYYY-MM-DD and 203 (CCYYMMDDHHMM) YYYY-MM-DDTHH:MM by string handling,
  with the text in @original and the format in @format; a date in another format is kept
  in extension instead. A total that was not sent stays absent and is named in
  totals/@missing. Every element that has no canonical field is copied into extension
  (source "cii") as received, inside empty copies of its ancestors: the document's
  extension for header content, the line's extension for line content.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns="urn:edi-gateway:canonical:1"
                xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
                xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
                xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
                xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
                exclude-result-prefixes="rsm ram udt qdt">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="canon" select="'urn:edi-gateway:canonical:1'"/>

  <xsl:template match="/">
    <xsl:if test="not(rsm:CrossIndustryInvoice)">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('not a CII CrossIndustryInvoice: {', namespace-uri(*), '}',
                              local-name(*))"/>
      </xsl:message>
    </xsl:if>
    <xsl:apply-templates select="rsm:CrossIndustryInvoice" mode="invoice"/>
  </xsl:template>

  <!-- ==== the document ============================================================= -->

  <xsl:template match="rsm:CrossIndustryInvoice" mode="invoice">
    <xsl:variable name="ctx" select="rsm:ExchangedDocumentContext"/>
    <xsl:variable name="doc" select="rsm:ExchangedDocument"/>
    <xsl:variable name="tx" select="rsm:SupplyChainTradeTransaction"/>
    <xsl:variable name="agr" select="$tx/ram:ApplicableHeaderTradeAgreement"/>
    <xsl:variable name="del" select="$tx/ram:ApplicableHeaderTradeDelivery"/>
    <xsl:variable name="set" select="$tx/ram:ApplicableHeaderTradeSettlement"/>
    <xsl:variable name="sum" select="$set/ram:SpecifiedTradeSettlementHeaderMonetarySummation"/>
    <xsl:variable name="cur" select="normalize-space($set/ram:InvoiceCurrencyCode)"/>
    <xsl:variable name="taxcur" select="normalize-space($set/ram:TaxCurrencyCode)"/>
    <xsl:variable name="typecode" select="normalize-space($doc/ram:TypeCode)"/>
    <xsl:variable name="spec" select="normalize-space($ctx/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID)"/>
    <!-- BT-110 carries the invoice currency (or none), BT-111 the tax currency. -->
    <xsl:variable name="tt" select="$sum/ram:TaxTotalAmount[@currencyID = $cur][1]
                                    | $sum/ram:TaxTotalAmount[not(@currencyID)][not(../ram:TaxTotalAmount/@currencyID = $cur)][1]"/>
    <xsl:variable name="tt2" select="$sum/ram:TaxTotalAmount[$taxcur != '' and $taxcur != $cur and @currencyID = $taxcur][1]"/>
    <xsl:variable name="means" select="$set/ram:SpecifiedTradeSettlementPaymentMeans[normalize-space(ram:TypeCode) != '']"/>

    <invoice source="{concat('CII CrossIndustryInvoice ', $spec)}">
      <kind>invoice</kind>
      <xsl:if test="$typecode != ''">
        <type code="{$typecode}">
          <xsl:choose>
            <xsl:when test="$typecode = '380'">invoice</xsl:when>
            <xsl:when test="$typecode = '381'">credit_note</xsl:when>
            <xsl:otherwise>other</xsl:otherwise>
          </xsl:choose>
        </type>
      </xsl:if>
      <xsl:call-template name="text-el">
        <xsl:with-param name="name" select="'specification'"/>
        <xsl:with-param name="v" select="$spec"/>
      </xsl:call-template>
      <xsl:call-template name="text-el">
        <xsl:with-param name="name" select="'process'"/>
        <xsl:with-param name="v" select="$ctx/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"/>
      </xsl:call-template>
      <number><xsl:value-of select="normalize-space($doc/ram:ID)"/></number>

      <!-- dates: BT-2, BT-7, BT-9, BT-72, BG-14 -->
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$doc/ram:IssueDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'document'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="($set/ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString)[1]"/>
        <xsl:with-param name="role" select="'tax_point'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="($set/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString)[1]"/>
        <xsl:with-param name="role" select="'due'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$del/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'delivery'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$set/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'period_start'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$set/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'period_end'"/>
      </xsl:call-template>

      <xsl:if test="$cur != ''"><currency><xsl:value-of select="$cur"/></currency></xsl:if>
      <xsl:if test="$taxcur != ''"><taxCurrency><xsl:value-of select="$taxcur"/></taxCurrency></xsl:if>

      <!-- references: BT-10..BT-19, BT-25/26 -->
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:BuyerReference"/>
        <xsl:with-param name="kind" select="'buyer_reference'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:SpecifiedProcuringProject/ram:ID"/>
        <xsl:with-param name="kind" select="'project'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:ContractReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'contract'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'customer_order'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:SellerOrderReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'supplier_order'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$del/ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'receiving_advice'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$del/ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'despatch_advice'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:AdditionalReferencedDocument[normalize-space(ram:TypeCode) = '50']/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'tender'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$agr/ram:AdditionalReferencedDocument[normalize-space(ram:TypeCode) = '130']/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'invoiced_object'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$set/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"/>
        <xsl:with-param name="kind" select="'accounting'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$set/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'invoice'"/>
      </xsl:call-template>

      <!-- BG-1: BT-22 with the subject code BT-21 -->
      <xsl:apply-templates select="$doc/ram:IncludedNote/ram:Content" mode="note"/>

      <!-- BT-20 -->
      <xsl:for-each select="$set/ram:SpecifiedTradePaymentTerms[ram:Description[normalize-space() != '']]">
        <paymentTerms>
          <xsl:for-each select="ram:Description[normalize-space() != '']">
            <text><xsl:value-of select="."/></text>
          </xsl:for-each>
        </paymentTerms>
      </xsl:for-each>

      <!-- BG-16..BG-19: remittance BT-83, creditor id BT-90 and mandate BT-89 are sent once
           for the document and repeated in each payment means. -->
      <xsl:for-each select="$means">
        <paymentMeans code="{normalize-space(ram:TypeCode)}">
          <xsl:if test="ram:Information"><text><xsl:value-of select="ram:Information"/></text></xsl:if>
          <xsl:if test="normalize-space($set/ram:PaymentReference) != ''">
            <remittance><xsl:value-of select="normalize-space($set/ram:PaymentReference)"/></remittance>
          </xsl:if>
          <xsl:for-each select="ram:PayeePartyCreditorFinancialAccount[normalize-space(ram:IBANID | ram:ProprietaryID) != '']">
            <account>
              <iban><xsl:value-of select="normalize-space((ram:IBANID | ram:ProprietaryID)[normalize-space() != ''][1])"/></iban>
              <xsl:if test="ram:AccountName"><name><xsl:value-of select="ram:AccountName"/></name></xsl:if>
              <xsl:if test="../ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID">
                <bic><xsl:value-of select="normalize-space(../ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID)"/></bic>
              </xsl:if>
            </account>
          </xsl:for-each>
          <xsl:if test="ram:ApplicableTradeSettlementFinancialCard/ram:ID">
            <cardNumber><xsl:value-of select="normalize-space(ram:ApplicableTradeSettlementFinancialCard/ram:ID)"/></cardNumber>
          </xsl:if>
          <xsl:if test="ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName">
            <cardHolder><xsl:value-of select="ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName"/></cardHolder>
          </xsl:if>
          <xsl:if test="normalize-space($set/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID) != ''">
            <mandate><xsl:value-of select="normalize-space($set/ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID)"/></mandate>
          </xsl:if>
          <xsl:if test="normalize-space($set/ram:CreditorReferenceID) != ''">
            <creditorId><xsl:value-of select="normalize-space($set/ram:CreditorReferenceID)"/></creditorId>
          </xsl:if>
          <xsl:if test="ram:PayerPartyDebtorFinancialAccount/ram:IBANID">
            <debitedAccount><xsl:value-of select="normalize-space(ram:PayerPartyDebtorFinancialAccount/ram:IBANID)"/></debitedAccount>
          </xsl:if>
        </paymentMeans>
      </xsl:for-each>

      <!-- parties: BG-4, BG-7, BG-10, BG-11, BG-13 and the EXTENDED roles -->
      <xsl:apply-templates select="$agr/ram:SellerTradeParty" mode="party">
        <xsl:with-param name="role" select="'supplier'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$agr/ram:BuyerTradeParty" mode="party">
        <xsl:with-param name="role" select="'buyer'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$set/ram:PayeeTradeParty" mode="party">
        <xsl:with-param name="role" select="'payee'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$agr/ram:SellerTaxRepresentativeTradeParty" mode="party">
        <xsl:with-param name="role" select="'tax_representative'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$del/ram:ShipToTradeParty" mode="party">
        <xsl:with-param name="role" select="'delivery'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$set/ram:InvoiceeTradeParty" mode="party">
        <xsl:with-param name="role" select="'invoicee'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$set/ram:PayerTradeParty" mode="party">
        <xsl:with-param name="role" select="'payer'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$del/ram:ShipFromTradeParty" mode="party">
        <xsl:with-param name="role" select="'ship_from'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="$del/ram:UltimateShipToTradeParty" mode="party">
        <xsl:with-param name="role" select="'final_delivery'"/>
      </xsl:apply-templates>

      <!-- BG-23 -->
      <xsl:apply-templates select="$set/ram:ApplicableTradeTax" mode="tax"/>

      <!-- BG-20, BG-21; an EXTENDED logistics service charge (BT-X-272) is a document charge -->
      <xsl:apply-templates select="$set/ram:SpecifiedTradeAllowanceCharge" mode="ac"/>
      <xsl:apply-templates select="$set/ram:SpecifiedLogisticsServiceCharge" mode="ac"/>

      <xsl:apply-templates select="$tx/ram:IncludedSupplyChainTradeLineItem" mode="line"/>

      <!-- BG-22 -->
      <xsl:variable name="missing">
        <xsl:text> lineCount</xsl:text>
        <xsl:if test="not($sum/ram:LineTotalAmount)"> lineAmountTotal</xsl:if>
        <xsl:if test="not($sum/ram:AllowanceTotalAmount)"> allowanceTotal</xsl:if>
        <xsl:if test="not($sum/ram:ChargeTotalAmount)"> chargeTotal</xsl:if>
        <xsl:if test="not($sum/ram:TaxBasisTotalAmount)"> taxBasisTotal</xsl:if>
        <xsl:if test="not($tt)"> taxTotal</xsl:if>
        <xsl:if test="$taxcur != '' and $taxcur != $cur and not($tt2)"> taxTotalInTaxCurrency</xsl:if>
        <xsl:if test="not($sum/ram:GrandTotalAmount)"> grandTotal</xsl:if>
        <xsl:if test="not($sum/ram:TotalPrepaidAmount)"> prepaidAmount</xsl:if>
        <xsl:if test="not($sum/ram:RoundingAmount)"> roundingAmount</xsl:if>
        <xsl:if test="not($sum/ram:DuePayableAmount)"> payableAmount</xsl:if>
      </xsl:variable>
      <totals missing="{normalize-space($missing)}">
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'lineAmountTotal'"/>
          <xsl:with-param name="v" select="$sum/ram:LineTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'allowanceTotal'"/>
          <xsl:with-param name="v" select="$sum/ram:AllowanceTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'chargeTotal'"/>
          <xsl:with-param name="v" select="$sum/ram:ChargeTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxBasisTotal'"/>
          <xsl:with-param name="v" select="$sum/ram:TaxBasisTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxTotal'"/>
          <xsl:with-param name="v" select="$tt"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'taxTotalInTaxCurrency'"/>
          <xsl:with-param name="v" select="$tt2"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'grandTotal'"/>
          <xsl:with-param name="v" select="$sum/ram:GrandTotalAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'prepaidAmount'"/>
          <xsl:with-param name="v" select="$sum/ram:TotalPrepaidAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'roundingAmount'"/>
          <xsl:with-param name="v" select="$sum/ram:RoundingAmount"/>
        </xsl:call-template>
        <xsl:call-template name="dec-el">
          <xsl:with-param name="name" select="'payableAmount'"/>
          <xsl:with-param name="v" select="$sum/ram:DuePayableAmount"/>
        </xsl:call-template>
      </totals>

      <xsl:call-template name="extension">
        <xsl:with-param name="from" select="*"/>
      </xsl:call-template>
    </invoice>
  </xsl:template>

  <xsl:template match="ram:Content" mode="note">
    <xsl:if test="normalize-space() != ''">
      <text>
        <xsl:if test="normalize-space(../ram:SubjectCode) != ''">
          <xsl:attribute name="qualifier"><xsl:value-of select="normalize-space(../ram:SubjectCode)"/></xsl:attribute>
        </xsl:if>
        <xsl:value-of select="."/>
      </text>
    </xsl:if>
  </xsl:template>

  <!-- ==== parties ================================================================== -->

  <!-- A *TradeParty: ids BT-29/46/60 (ram:ID without a scheme; ram:GlobalID with its ICD:
       0088 GLN, 0060 DUNS), legal id BT-30/47/61, VAT id (VA) BT-31/48/63, tax number (FC)
       BT-32, name BT-27/44/59/62/70, trading name BT-28/45, electronic address BT-34/49,
       address, contact. -->
  <xsl:template match="*" mode="party">
    <xsl:param name="role"/>
    <party role="{$role}" qualifier="{local-name()}">
      <xsl:for-each select="ram:ID[normalize-space() != '']">
        <id scheme="other">
          <xsl:if test="@schemeID"><xsl:attribute name="agency"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </id>
      </xsl:for-each>
      <xsl:for-each select="ram:GlobalID[normalize-space() != '']">
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
      </xsl:for-each>
      <xsl:for-each select="ram:SpecifiedLegalOrganization/ram:ID[normalize-space() != '']">
        <id scheme="legal">
          <xsl:if test="@schemeID"><xsl:attribute name="agency"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </id>
      </xsl:for-each>
      <xsl:for-each select="ram:SpecifiedTaxRegistration/ram:ID[normalize-space(@schemeID) = 'VA'][normalize-space() != '']">
        <id scheme="vat"><xsl:value-of select="normalize-space()"/></id>
      </xsl:for-each>
      <xsl:for-each select="ram:SpecifiedTaxRegistration/ram:ID[normalize-space(@schemeID) != 'VA'][normalize-space() != '']">
        <id scheme="tax_number">
          <xsl:if test="@schemeID"><xsl:attribute name="agency"><xsl:value-of select="normalize-space(@schemeID)"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </id>
      </xsl:for-each>
      <xsl:for-each select="ram:Name[position() &lt;= 5]">
        <name><xsl:value-of select="."/></name>
      </xsl:for-each>
      <xsl:if test="ram:SpecifiedLegalOrganization/ram:TradingBusinessName">
        <tradingName><xsl:value-of select="ram:SpecifiedLegalOrganization/ram:TradingBusinessName"/></tradingName>
      </xsl:if>
      <xsl:for-each select="ram:URIUniversalCommunication/ram:URIID[normalize-space() != ''][1]">
        <electronicAddress>
          <xsl:if test="@schemeID"><xsl:attribute name="scheme"><xsl:value-of select="@schemeID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </electronicAddress>
      </xsl:for-each>
      <xsl:for-each select="ram:PostalTradeAddress">
        <xsl:for-each select="(ram:LineOne | ram:LineTwo | ram:LineThree)[position() &lt;= 4]">
          <street><xsl:value-of select="."/></street>
        </xsl:for-each>
        <xsl:if test="ram:PostcodeCode"><postcode><xsl:value-of select="ram:PostcodeCode"/></postcode></xsl:if>
        <xsl:if test="ram:CityName"><city><xsl:value-of select="ram:CityName"/></city></xsl:if>
        <xsl:if test="ram:CountrySubDivisionName">
          <countrySubdivision><xsl:value-of select="ram:CountrySubDivisionName"/></countrySubdivision>
        </xsl:if>
        <xsl:if test="normalize-space(ram:CountryID) != ''">
          <country><xsl:value-of select="normalize-space(ram:CountryID)"/></country>
        </xsl:if>
      </xsl:for-each>
      <xsl:for-each select="ram:DefinedTradeContact">
        <contact>
          <xsl:if test="ram:PersonName"><name><xsl:value-of select="ram:PersonName"/></name></xsl:if>
          <xsl:if test="ram:DepartmentName"><department><xsl:value-of select="ram:DepartmentName"/></department></xsl:if>
          <xsl:for-each select="ram:TelephoneUniversalCommunication/ram:CompleteNumber">
            <phone><xsl:value-of select="."/></phone>
          </xsl:for-each>
          <xsl:for-each select="ram:FaxUniversalCommunication/ram:CompleteNumber">
            <fax><xsl:value-of select="."/></fax>
          </xsl:for-each>
          <xsl:for-each select="ram:EmailURIUniversalCommunication/ram:URIID">
            <email><xsl:value-of select="."/></email>
          </xsl:for-each>
        </contact>
      </xsl:for-each>
    </party>
  </xsl:template>

  <!-- ==== taxes, allowances and charges ============================================= -->

  <!-- ram:ApplicableTradeTax or ram:CategoryTradeTax: category, rate, basis BT-116, amount
       BT-117, exemption reason BT-120 and code BT-121. -->
  <xsl:template match="*" mode="tax">
    <tax>
      <xsl:if test="normalize-space(ram:TypeCode) != ''">
        <xsl:attribute name="type"><xsl:value-of select="normalize-space(ram:TypeCode)"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="normalize-space(ram:CategoryCode) != ''">
        <category><xsl:value-of select="normalize-space(ram:CategoryCode)"/></category>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'ratePercent'"/>
        <xsl:with-param name="v" select="ram:RateApplicablePercent"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'basisAmount'"/>
        <xsl:with-param name="v" select="ram:BasisAmount"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'amount'"/>
        <xsl:with-param name="v" select="ram:CalculatedAmount"/>
      </xsl:call-template>
      <xsl:if test="ram:ExemptionReason">
        <exemptionReason><xsl:value-of select="ram:ExemptionReason"/></exemptionReason>
      </xsl:if>
      <xsl:if test="ram:ExemptionReasonCode">
        <exemptionCode><xsl:value-of select="normalize-space(ram:ExemptionReasonCode)"/></exemptionCode>
      </xsl:if>
    </tax>
  </xsl:template>

  <!-- BG-20/21 (document) and BG-27/28 (line). -->
  <xsl:template match="ram:SpecifiedTradeAllowanceCharge" mode="ac">
    <allowanceCharge>
      <xsl:attribute name="kind">
        <xsl:choose>
          <xsl:when test="normalize-space(ram:ChargeIndicator/udt:Indicator) = 'true'">charge</xsl:when>
          <xsl:otherwise>allowance</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="ram:Reason or ram:ReasonCode">
        <reason>
          <xsl:if test="ram:ReasonCode">
            <xsl:attribute name="qualifier"><xsl:value-of select="normalize-space(ram:ReasonCode)"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="ram:Reason"/>
        </reason>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'percent'"/>
        <xsl:with-param name="v" select="ram:CalculationPercent"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'basisAmount'"/>
        <xsl:with-param name="v" select="ram:BasisAmount"/>
      </xsl:call-template>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'amount'"/>
        <xsl:with-param name="v" select="ram:ActualAmount"/>
      </xsl:call-template>
      <xsl:apply-templates select="ram:CategoryTradeTax[1]" mode="tax"/>
    </allowanceCharge>
  </xsl:template>

  <!-- Factur-X EXTENDED logistics service charge (BT-X-271..274): the EXTENDED rules count it
       in BT-108 and in the VAT breakdown like a document charge (BG-21), so it becomes one:
       its description is the reason (BT-104), its amount BT-99, its tax BT-102/103. -->
  <xsl:template match="ram:SpecifiedLogisticsServiceCharge" mode="ac">
    <allowanceCharge kind="charge">
      <xsl:if test="ram:Description">
        <reason><xsl:value-of select="ram:Description"/></reason>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'amount'"/>
        <xsl:with-param name="v" select="ram:AppliedAmount"/>
      </xsl:call-template>
      <xsl:apply-templates select="ram:AppliedTradeTax[1]" mode="tax"/>
    </allowanceCharge>
  </xsl:template>

  <!-- ==== lines (BG-25) ============================================================= -->

  <xsl:template match="ram:IncludedSupplyChainTradeLineItem" mode="line">
    <xsl:variable name="ld" select="ram:AssociatedDocumentLineDocument"/>
    <xsl:variable name="prod" select="ram:SpecifiedTradeProduct"/>
    <xsl:variable name="la" select="ram:SpecifiedLineTradeAgreement"/>
    <xsl:variable name="ls" select="ram:SpecifiedLineTradeSettlement"/>
    <xsl:variable name="qty" select="ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"/>
    <xsl:variable name="net" select="$la/ram:NetPriceProductTradePrice"/>
    <xsl:variable name="gross" select="$la/ram:GrossPriceProductTradePrice"/>
    <line>
      <number><xsl:value-of select="normalize-space($ld/ram:LineID)"/></number>
      <xsl:if test="$prod/ram:GlobalID[normalize-space(@schemeID) = '0160']">
        <gtin><xsl:value-of select="normalize-space($prod/ram:GlobalID[normalize-space(@schemeID) = '0160'])"/></gtin>
      </xsl:if>
      <xsl:if test="$prod/ram:SellerAssignedID">
        <supplierArticle><xsl:value-of select="normalize-space($prod/ram:SellerAssignedID)"/></supplierArticle>
      </xsl:if>
      <xsl:if test="$prod/ram:BuyerAssignedID">
        <buyerArticle><xsl:value-of select="normalize-space($prod/ram:BuyerAssignedID)"/></buyerArticle>
      </xsl:if>
      <xsl:for-each select="$prod/ram:Name">
        <description qualifier="name"><xsl:value-of select="."/></description>
      </xsl:for-each>
      <xsl:for-each select="$prod/ram:Description">
        <description qualifier="description"><xsl:value-of select="."/></description>
      </xsl:for-each>
      <xsl:for-each select="$prod/ram:DesignatedProductClassification/ram:ClassCode[normalize-space() != '']">
        <classification>
          <xsl:if test="@listID"><xsl:attribute name="qualifier"><xsl:value-of select="@listID"/></xsl:attribute></xsl:if>
          <xsl:value-of select="normalize-space()"/>
        </classification>
      </xsl:for-each>
      <xsl:if test="normalize-space($prod/ram:OriginTradeCountry/ram:ID) != ''">
        <originCountry><xsl:value-of select="normalize-space($prod/ram:OriginTradeCountry/ram:ID)"/></originCountry>
      </xsl:if>
      <xsl:for-each select="$prod/ram:ApplicableProductCharacteristic[normalize-space(ram:Description) != '']">
        <attribute>
          <name><xsl:value-of select="ram:Description"/></name>
          <value><xsl:value-of select="ram:Value"/></value>
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
      <xsl:if test="$net/ram:ChargeAmount">
        <netPrice>
          <xsl:call-template name="price-basis">
            <xsl:with-param name="bq" select="$net/ram:BasisQuantity"/>
          </xsl:call-template>
          <xsl:call-template name="dec">
            <xsl:with-param name="v" select="$net/ram:ChargeAmount"/>
          </xsl:call-template>
        </netPrice>
      </xsl:if>
      <xsl:if test="$gross/ram:ChargeAmount">
        <grossPrice>
          <xsl:call-template name="price-basis">
            <xsl:with-param name="bq" select="$gross/ram:BasisQuantity | $net/ram:BasisQuantity[not($gross/ram:BasisQuantity)]"/>
          </xsl:call-template>
          <xsl:call-template name="dec">
            <xsl:with-param name="v" select="$gross/ram:ChargeAmount"/>
          </xsl:call-template>
        </grossPrice>
      </xsl:if>
      <xsl:call-template name="dec-el">
        <xsl:with-param name="name" select="'lineAmount'"/>
        <xsl:with-param name="v" select="$ls/ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"/>
      </xsl:call-template>
      <xsl:apply-templates select="$ls/ram:ApplicableTradeTax" mode="tax"/>
      <xsl:apply-templates select="$ls/ram:SpecifiedTradeAllowanceCharge" mode="ac"/>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$ls/ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'period_start'"/>
      </xsl:call-template>
      <xsl:call-template name="date">
        <xsl:with-param name="n" select="$ls/ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"/>
        <xsl:with-param name="role" select="'period_end'"/>
      </xsl:call-template>
      <!-- BT-132: the order is the line's own order number (EXTENDED), else the document's BT-13. -->
      <xsl:for-each select="$la/ram:BuyerOrderReferencedDocument/ram:LineID[normalize-space() != '']">
        <xsl:variable name="order" select="normalize-space((../ram:IssuerAssignedID
                      | /*/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID)[normalize-space() != ''][1])"/>
        <reference kind="customer_order" line="{normalize-space()}">
          <xsl:choose>
            <xsl:when test="$order != ''"><xsl:value-of select="$order"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="normalize-space()"/></xsl:otherwise>
          </xsl:choose>
        </reference>
      </xsl:for-each>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$ls/ram:AdditionalReferencedDocument[normalize-space(ram:TypeCode) = '130']/ram:IssuerAssignedID"/>
        <xsl:with-param name="kind" select="'invoiced_object'"/>
      </xsl:call-template>
      <xsl:call-template name="ref">
        <xsl:with-param name="n" select="$ls/ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID"/>
        <xsl:with-param name="kind" select="'accounting'"/>
      </xsl:call-template>
      <xsl:apply-templates select="$ld/ram:IncludedNote/ram:Content" mode="note"/>
      <xsl:call-template name="extension">
        <xsl:with-param name="from" select="*"/>
      </xsl:call-template>
    </line>
  </xsl:template>

  <!-- BT-149/150 on netPrice and grossPrice. -->
  <xsl:template name="price-basis">
    <xsl:param name="bq"/>
    <xsl:if test="normalize-space($bq[1]) != ''">
      <xsl:attribute name="basisQuantity">
        <xsl:call-template name="dec">
          <xsl:with-param name="v" select="$bq[1]"/>
        </xsl:call-template>
      </xsl:attribute>
      <xsl:call-template name="unit">
        <xsl:with-param name="code" select="$bq[1]/@unitCode"/>
        <xsl:with-param name="attr" select="'basisUnit'"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- ==== dates and references ====================================================== -->

  <!-- A udt/qdt DateTimeString (or DateString) as date[@role] when its format is 102 or
       203; nothing otherwise (extension keeps it). -->
  <xsl:template name="date">
    <xsl:param name="n"/>
    <xsl:param name="role"/>
    <xsl:variable name="iso">
      <xsl:call-template name="iso">
        <xsl:with-param name="n" select="$n[1]"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$iso != ''">
      <date role="{$role}" original="{normalize-space($n[1])}" format="{normalize-space($n[1]/@format)}">
        <xsl:value-of select="$iso"/>
      </date>
    </xsl:if>
  </xsl:template>

  <xsl:template name="iso">
    <xsl:param name="n"/>
    <xsl:variable name="s" select="normalize-space($n)"/>
    <xsl:variable name="f" select="normalize-space($n/@format)"/>
    <xsl:if test="translate($s, '0123456789', '') = ''">
      <xsl:choose>
        <xsl:when test="($f = '102' or $f = '') and string-length($s) = 8">
          <xsl:value-of select="concat(substring($s, 1, 4), '-', substring($s, 5, 2), '-', substring($s, 7, 2))"/>
        </xsl:when>
        <xsl:when test="$f = '203' and string-length($s) = 12">
          <xsl:value-of select="concat(substring($s, 1, 4), '-', substring($s, 5, 2), '-', substring($s, 7, 2),
                                'T', substring($s, 9, 2), ':', substring($s, 11, 2))"/>
        </xsl:when>
      </xsl:choose>
    </xsl:if>
  </xsl:template>

  <!-- A reference[@kind] per node of `n`: @qualifier the reference type code (BT-18-1,
       BT-128-1), @date the preceding invoice's date BT-26. -->
  <xsl:template name="ref">
    <xsl:param name="n"/>
    <xsl:param name="kind"/>
    <xsl:for-each select="$n[normalize-space() != '']">
      <reference kind="{$kind}">
        <xsl:if test="normalize-space(../ram:ReferenceTypeCode) != ''">
          <xsl:attribute name="qualifier"><xsl:value-of select="normalize-space(../ram:ReferenceTypeCode)"/></xsl:attribute>
        </xsl:if>
        <xsl:if test="$kind = 'invoice'">
          <xsl:variable name="d">
            <xsl:call-template name="iso">
              <xsl:with-param name="n" select="../ram:FormattedIssueDateTime/qdt:DateTimeString"/>
            </xsl:call-template>
          </xsl:variable>
          <xsl:if test="$d != ''"><xsl:attribute name="date"><xsl:value-of select="$d"/></xsl:attribute></xsl:if>
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
      <extension source="cii">
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
  <xsl:template mode="rest" match="rsm:ExchangedDocumentContext | ram:GuidelineSpecifiedDocumentContextParameter
                | ram:BusinessProcessSpecifiedDocumentContextParameter | rsm:ExchangedDocument | ram:IssueDateTime
                | ram:IncludedNote | rsm:SupplyChainTradeTransaction | ram:ApplicableHeaderTradeAgreement
                | ram:ApplicableHeaderTradeDelivery | ram:ApplicableHeaderTradeSettlement
                | ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty | ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty
                | ram:ApplicableHeaderTradeAgreement/ram:SellerTaxRepresentativeTradeParty
                | ram:ApplicableHeaderTradeSettlement/ram:PayeeTradeParty | ram:ApplicableHeaderTradeSettlement/ram:InvoiceeTradeParty
                | ram:ApplicableHeaderTradeSettlement/ram:PayerTradeParty | ram:ApplicableHeaderTradeDelivery/ram:ShipToTradeParty
                | ram:ApplicableHeaderTradeDelivery/ram:ShipFromTradeParty
                | ram:ApplicableHeaderTradeDelivery/ram:UltimateShipToTradeParty
                | ram:SpecifiedLegalOrganization | ram:DefinedTradeContact | ram:TelephoneUniversalCommunication
                | ram:FaxUniversalCommunication | ram:EmailURIUniversalCommunication | ram:PostalTradeAddress
                | ram:URIUniversalCommunication | ram:SpecifiedTaxRegistration
                | ram:ApplicableHeaderTradeAgreement/ram:SellerOrderReferencedDocument
                | ram:ApplicableHeaderTradeAgreement/ram:BuyerOrderReferencedDocument
                | ram:ApplicableHeaderTradeAgreement/ram:ContractReferencedDocument
                | ram:ApplicableHeaderTradeAgreement/ram:AdditionalReferencedDocument[normalize-space(ram:TypeCode) = '50'
                  or normalize-space(ram:TypeCode) = '130']
                | ram:SpecifiedProcuringProject | ram:ActualDeliverySupplyChainEvent | ram:OccurrenceDateTime
                | ram:ApplicableHeaderTradeDelivery/ram:DespatchAdviceReferencedDocument
                | ram:ApplicableHeaderTradeDelivery/ram:ReceivingAdviceReferencedDocument
                | ram:SpecifiedTradeSettlementPaymentMeans[normalize-space(ram:TypeCode) != '']
                | ram:PayeePartyCreditorFinancialAccount | ram:PayerPartyDebtorFinancialAccount
                | ram:PayeeSpecifiedCreditorFinancialInstitution | ram:ApplicableTradeSettlementFinancialCard
                | ram:ApplicableTradeTax | ram:TaxPointDate | ram:BillingSpecifiedPeriod | ram:StartDateTime
                | ram:EndDateTime | ram:SpecifiedTradeAllowanceCharge | ram:ChargeIndicator | ram:CategoryTradeTax
                | ram:ApplicableHeaderTradeSettlement/ram:SpecifiedLogisticsServiceCharge
                | ram:SpecifiedLogisticsServiceCharge/ram:AppliedTradeTax[not(preceding-sibling::ram:AppliedTradeTax)]
                | ram:SpecifiedTradePaymentTerms | ram:DueDateDateTime[not(../preceding-sibling::ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime)]
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation | ram:InvoiceReferencedDocument
                | ram:FormattedIssueDateTime[parent::ram:InvoiceReferencedDocument]
                | ram:ReceivableSpecifiedTradeAccountingAccount
                | ram:AssociatedDocumentLineDocument | ram:SpecifiedTradeProduct | ram:ApplicableProductCharacteristic
                | ram:DesignatedProductClassification | ram:OriginTradeCountry | ram:SpecifiedLineTradeAgreement
                | ram:SpecifiedLineTradeAgreement/ram:BuyerOrderReferencedDocument | ram:GrossPriceProductTradePrice
                | ram:NetPriceProductTradePrice | ram:SpecifiedLineTradeDelivery | ram:SpecifiedLineTradeSettlement
                | ram:SpecifiedTradeSettlementLineMonetarySummation
                | ram:SpecifiedLineTradeSettlement/ram:AdditionalReferencedDocument[normalize-space(ram:TypeCode) = '130']">
    <xsl:param name="probe" select="false()"/>
    <xsl:apply-templates select="*" mode="rest">
      <xsl:with-param name="probe" select="$probe"/>
    </xsl:apply-templates>
  </xsl:template>

  <!-- mapped leaves (the lines have their own extension) -->
  <xsl:template mode="rest" match="rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem
                | ram:GuidelineSpecifiedDocumentContextParameter/ram:ID
                | ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID
                | rsm:ExchangedDocument/ram:ID | rsm:ExchangedDocument/ram:TypeCode
                | ram:IncludedNote/ram:Content | ram:IncludedNote/ram:SubjectCode
                | udt:DateTimeString[translate(normalize-space(), '0123456789', '') = '']
                  [((not(@format) or normalize-space(@format) = '102') and string-length(normalize-space()) = 8)
                   or (normalize-space(@format) = '203' and string-length(normalize-space()) = 12)]
                | qdt:DateTimeString[translate(normalize-space(), '0123456789', '') = '']
                  [((not(@format) or normalize-space(@format) = '102') and string-length(normalize-space()) = 8)
                   or (normalize-space(@format) = '203' and string-length(normalize-space()) = 12)]
                | ram:TaxPointDate/udt:DateString[translate(normalize-space(), '0123456789', '') = '']
                  [(not(@format) or normalize-space(@format) = '102') and string-length(normalize-space()) = 8]
                | ram:ApplicableHeaderTradeAgreement/ram:BuyerReference
                | ram:SellerOrderReferencedDocument/ram:IssuerAssignedID
                | ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID
                | ram:ContractReferencedDocument/ram:IssuerAssignedID
                | ram:AdditionalReferencedDocument/ram:IssuerAssignedID | ram:AdditionalReferencedDocument/ram:TypeCode
                | ram:AdditionalReferencedDocument/ram:ReferenceTypeCode
                | ram:SpecifiedProcuringProject/ram:ID
                | ram:SpecifiedProcuringProject/ram:Name[normalize-space() = 'Project reference']
                | ram:DespatchAdviceReferencedDocument/ram:IssuerAssignedID
                | ram:ReceivingAdviceReferencedDocument/ram:IssuerAssignedID
                | ram:InvoiceReferencedDocument/ram:IssuerAssignedID
                | ram:ReceivableSpecifiedTradeAccountingAccount/ram:ID
                | *[contains(local-name(), 'TradeParty')]/ram:ID | *[contains(local-name(), 'TradeParty')]/ram:GlobalID
                | *[contains(local-name(), 'TradeParty')]/ram:Name
                | ram:SpecifiedLegalOrganization/ram:ID | ram:SpecifiedLegalOrganization/ram:TradingBusinessName
                | ram:DefinedTradeContact/ram:PersonName | ram:DefinedTradeContact/ram:DepartmentName
                | ram:CompleteNumber | ram:EmailURIUniversalCommunication/ram:URIID
                | ram:URIUniversalCommunication/ram:URIID[not(preceding-sibling::ram:URIID)]
                | ram:PostalTradeAddress/ram:PostcodeCode | ram:PostalTradeAddress/ram:LineOne
                | ram:PostalTradeAddress/ram:LineTwo | ram:PostalTradeAddress/ram:LineThree
                | ram:PostalTradeAddress/ram:CityName | ram:PostalTradeAddress/ram:CountryID
                | ram:PostalTradeAddress/ram:CountrySubDivisionName | ram:SpecifiedTaxRegistration/ram:ID
                | ram:ApplicableHeaderTradeSettlement/ram:InvoiceCurrencyCode
                | ram:ApplicableHeaderTradeSettlement/ram:TaxCurrencyCode
                | ram:ApplicableHeaderTradeSettlement/ram:PaymentReference[../ram:SpecifiedTradeSettlementPaymentMeans[normalize-space(ram:TypeCode) != '']]
                | ram:ApplicableHeaderTradeSettlement/ram:CreditorReferenceID[../ram:SpecifiedTradeSettlementPaymentMeans[normalize-space(ram:TypeCode) != '']]
                | ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID[../../ram:SpecifiedTradeSettlementPaymentMeans[normalize-space(ram:TypeCode) != '']]
                | ram:SpecifiedTradePaymentTerms/ram:Description
                | ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode | ram:SpecifiedTradeSettlementPaymentMeans/ram:Information
                | ram:PayeePartyCreditorFinancialAccount/ram:IBANID
                | ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID[not(normalize-space(../ram:IBANID) != '')]
                | ram:PayeePartyCreditorFinancialAccount/ram:AccountName | ram:PayerPartyDebtorFinancialAccount/ram:IBANID
                | ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID
                | ram:ApplicableTradeSettlementFinancialCard/ram:ID
                | ram:ApplicableTradeSettlementFinancialCard/ram:CardholderName
                | ram:ApplicableTradeTax/ram:CalculatedAmount | ram:ApplicableTradeTax/ram:TypeCode
                | ram:ApplicableTradeTax/ram:ExemptionReason | ram:ApplicableTradeTax/ram:BasisAmount
                | ram:ApplicableTradeTax/ram:CategoryCode | ram:ApplicableTradeTax/ram:ExemptionReasonCode
                | ram:ApplicableTradeTax/ram:RateApplicablePercent
                | ram:CategoryTradeTax/ram:TypeCode | ram:CategoryTradeTax/ram:CategoryCode
                | ram:CategoryTradeTax/ram:RateApplicablePercent
                | ram:SpecifiedLogisticsServiceCharge/ram:Description
                | ram:SpecifiedLogisticsServiceCharge/ram:AppliedAmount
                | ram:AppliedTradeTax/ram:TypeCode | ram:AppliedTradeTax/ram:CategoryCode
                | ram:AppliedTradeTax/ram:RateApplicablePercent
                | ram:ChargeIndicator/udt:Indicator | ram:SpecifiedTradeAllowanceCharge/ram:CalculationPercent
                | ram:SpecifiedTradeAllowanceCharge/ram:BasisAmount | ram:SpecifiedTradeAllowanceCharge/ram:ActualAmount
                | ram:SpecifiedTradeAllowanceCharge/ram:ReasonCode | ram:SpecifiedTradeAllowanceCharge/ram:Reason
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:ChargeTotalAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:AllowanceTotalAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxBasisTotalAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount[not(@currencyID)
                  or @currencyID = ../../ram:InvoiceCurrencyCode or @currencyID = ../../ram:TaxCurrencyCode]
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:RoundingAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TotalPrepaidAmount
                | ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount
                | ram:AssociatedDocumentLineDocument/ram:LineID
                | ram:SpecifiedTradeProduct/ram:GlobalID[normalize-space(@schemeID) = '0160']
                | ram:SpecifiedTradeProduct/ram:SellerAssignedID | ram:SpecifiedTradeProduct/ram:BuyerAssignedID
                | ram:SpecifiedTradeProduct/ram:Name | ram:SpecifiedTradeProduct/ram:Description
                | ram:ApplicableProductCharacteristic/ram:Description | ram:ApplicableProductCharacteristic/ram:Value
                | ram:DesignatedProductClassification/ram:ClassCode[not(@listVersionID)]
                | ram:OriginTradeCountry/ram:ID | ram:BuyerOrderReferencedDocument/ram:LineID
                | ram:GrossPriceProductTradePrice/ram:ChargeAmount | ram:GrossPriceProductTradePrice/ram:BasisQuantity
                | ram:NetPriceProductTradePrice/ram:ChargeAmount | ram:NetPriceProductTradePrice/ram:BasisQuantity
                | ram:SpecifiedLineTradeDelivery/ram:BilledQuantity
                | ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"/>

  <!-- Copy the node as received inside empty copies of its ancestors below the document
       (or below its line). -->
  <xsl:template name="keep">
    <xsl:variable name="line" select="ancestor::ram:IncludedSupplyChainTradeLineItem"/>
    <xsl:variable name="top" select="count($line[last()]/ancestor::*)"/>
    <xsl:call-template name="wrap">
      <xsl:with-param name="chain" select="ancestor::*[count(ancestor::*) &gt; $top]"/>
      <xsl:with-param name="node" select="."/>
    </xsl:call-template>
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
