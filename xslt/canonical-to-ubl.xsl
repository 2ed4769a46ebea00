<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical invoice -> OASIS UBL 2.1 Invoice or CreditNote as an EN 16931 e-invoice
  (docs/canonical.md "canonical invoice -> UBL and CII (XRechnung, Peppol)").
  The input is a canonical invoice that C has already completed (line amounts, totals and
  the VAT breakdown are present): this stylesheet only moves strings and never computes.
  Elements follow the sequence of UBL-Invoice-2.1.xsd / UBL-CreditNote-2.1.xsd, and a value
  the canonical document does not have is not written (Peppol forbids empty elements).
  It stops with a message only when the UBL schema itself could not be met (no issue date,
  currency, seller, buyer, line, line amount, payable amount, VAT total for a breakdown, or
  amount of a breakdown entry or allowance/charge); whether the invoice is complete by the
  EN 16931 business rules is checked in C.
  Parameter (string): profile = 'xrechnung' (default, XRechnung 3.0), 'peppol' (Peppol
  BIS Billing 3.0) or 'en16931' (the bare EN 16931 specification identifier).
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
                xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
                exclude-result-prefixes="c">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:param name="profile" select="'xrechnung'"/>

  <xsl:variable name="doc" select="/c:invoice"/>
  <xsl:variable name="credit" select="$doc/c:type = 'credit_note' or $doc/c:type/@code = '381'"/>
  <xsl:variable name="cur" select="string($doc/c:currency)"/>
  <xsl:variable name="peppol-process" select="'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0'"/>
  <xsl:variable name="upper" select="'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"/>
  <xsl:variable name="nl" select="'&#10;'"/>

  <xsl:template match="/">
    <xsl:if test="not($doc)">
      <xsl:message terminate="yes">the document is not a canonical invoice</xsl:message>
    </xsl:if>
    <xsl:if test="$profile != 'xrechnung' and $profile != 'peppol' and $profile != 'en16931'">
      <xsl:message terminate="yes">the parameter profile must be xrechnung, peppol or en16931</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:date[@role='document'])">
      <xsl:message terminate="yes">the invoice has no issue date (date role="document", BT-2), which cbc:IssueDate requires</xsl:message>
    </xsl:if>
    <xsl:if test="$cur = ''">
      <xsl:message terminate="yes">the invoice has no currency (BT-5): every UBL amount needs its currencyID</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:party[@role='supplier'])">
      <xsl:message terminate="yes">the invoice has no party role="supplier" (the seller, BG-4), which cac:AccountingSupplierParty requires</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:party[@role='buyer'])">
      <xsl:message terminate="yes">the invoice has no party role="buyer" (BG-7), which cac:AccountingCustomerParty requires</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:line)">
      <xsl:message terminate="yes">the invoice has no line; UBL needs at least one invoice line</xsl:message>
    </xsl:if>
    <xsl:if test="not($credit) and $doc/c:line[not(c:lineAmount)]">
      <xsl:message terminate="yes">line <xsl:value-of select="$doc/c:line[not(c:lineAmount)][1]/c:number"/> has no lineAmount (BT-131), which cbc:LineExtensionAmount requires; complete the invoice before writing it</xsl:message>
    </xsl:if>
    <xsl:if test="not($doc/c:totals/c:payableAmount)">
      <xsl:message terminate="yes">the invoice has no totals/payableAmount (BT-115), which cac:LegalMonetaryTotal requires; complete the invoice before writing it</xsl:message>
    </xsl:if>
    <xsl:if test="$doc/c:tax and not($doc/c:totals/c:taxTotal)">
      <xsl:message terminate="yes">the invoice has a VAT breakdown but no totals/taxTotal (BT-110), which cac:TaxTotal requires</xsl:message>
    </xsl:if>
    <xsl:if test="$doc/c:tax[not(c:amount)]">
      <xsl:message terminate="yes">a VAT breakdown entry (category <xsl:value-of select="$doc/c:tax[not(c:amount)][1]/c:category"/>) has no amount (BT-117), which cac:TaxSubtotal requires</xsl:message>
    </xsl:if>
    <xsl:if test="$doc//c:allowanceCharge[not(c:amount)]">
      <xsl:message terminate="yes">an allowance or charge has no amount (BT-92, BT-99, BT-136, BT-141), which cac:AllowanceCharge requires</xsl:message>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="$credit">
        <CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
                    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
                    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
          <xsl:apply-templates select="$doc" mode="body"/>
        </CreditNote>
      </xsl:when>
      <xsl:otherwise>
        <Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
                 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
                 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
          <xsl:apply-templates select="$doc" mode="body"/>
        </Invoice>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The document in the order of the Invoice and CreditNote schemas; where the two
       differ, $credit decides. -->
  <xsl:template match="c:invoice" mode="body">
    <cbc:CustomizationID>
      <xsl:choose>
        <xsl:when test="$profile = 'peppol'">urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</xsl:when>
        <xsl:when test="$profile = 'en16931'">urn:cen.eu:en16931:2017</xsl:when>
        <xsl:otherwise>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</xsl:otherwise>
      </xsl:choose>
    </cbc:CustomizationID>
    <xsl:choose>
      <xsl:when test="$profile != 'en16931'">
        <cbc:ProfileID><xsl:value-of select="$peppol-process"/></cbc:ProfileID>
      </xsl:when>
      <xsl:when test="normalize-space(c:process)">
        <cbc:ProfileID><xsl:value-of select="c:process"/></cbc:ProfileID>
      </xsl:when>
    </xsl:choose>
    <cbc:ID><xsl:value-of select="c:number"/></cbc:ID>
    <cbc:IssueDate><xsl:value-of select="substring(c:date[@role='document'][1], 1, 10)"/></cbc:IssueDate>
    <xsl:variable name="due" select="(c:date[@role='due'] | c:paymentTerms/c:dueDate)[1]"/>
    <xsl:if test="not($credit) and $due">
      <cbc:DueDate><xsl:value-of select="substring($due, 1, 10)"/></cbc:DueDate>
    </xsl:if>
    <xsl:if test="$credit">
      <xsl:apply-templates select="c:date[@role='tax_point'][1]" mode="tax-point"/>
      <cbc:CreditNoteTypeCode><xsl:call-template name="type-code"/></cbc:CreditNoteTypeCode>
    </xsl:if>
    <xsl:if test="not($credit)">
      <cbc:InvoiceTypeCode><xsl:call-template name="type-code"/></cbc:InvoiceTypeCode>
    </xsl:if>
    <xsl:choose>
      <!-- Peppol allows one document note (PEPPOL-EN16931-R002): the texts are joined. -->
      <xsl:when test="$profile = 'peppol' and count(c:text[normalize-space()]) > 1">
        <cbc:Note>
          <xsl:for-each select="c:text[normalize-space()]">
            <xsl:if test="position() > 1"><xsl:value-of select="$nl"/></xsl:if>
            <xsl:call-template name="note-text"/>
          </xsl:for-each>
        </cbc:Note>
      </xsl:when>
      <xsl:otherwise>
        <xsl:for-each select="c:text[normalize-space()]">
          <cbc:Note><xsl:call-template name="note-text"/></cbc:Note>
        </xsl:for-each>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:if test="not($credit)">
      <xsl:apply-templates select="c:date[@role='tax_point'][1]" mode="tax-point"/>
    </xsl:if>
    <cbc:DocumentCurrencyCode><xsl:value-of select="$cur"/></cbc:DocumentCurrencyCode>
    <xsl:for-each select="c:taxCurrency">
      <cbc:TaxCurrencyCode><xsl:value-of select="."/></cbc:TaxCurrencyCode>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='accounting'][1]">
      <cbc:AccountingCost><xsl:value-of select="."/></cbc:AccountingCost>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='buyer_reference'][1]">
      <cbc:BuyerReference><xsl:value-of select="."/></cbc:BuyerReference>
    </xsl:for-each>
    <xsl:call-template name="period"/>
    <xsl:if test="c:reference[@kind='customer_order' or @kind='supplier_order']">
      <cac:OrderReference>
        <cbc:ID>
          <xsl:choose>
            <xsl:when test="c:reference[@kind='customer_order']"><xsl:value-of select="c:reference[@kind='customer_order'][1]"/></xsl:when>
            <!-- BT-14 alone: the schema needs an order ID; Peppol and XRechnung say NA. -->
            <xsl:otherwise>NA</xsl:otherwise>
          </xsl:choose>
        </cbc:ID>
        <xsl:for-each select="c:reference[@kind='supplier_order'][1]">
          <cbc:SalesOrderID><xsl:value-of select="."/></cbc:SalesOrderID>
        </xsl:for-each>
      </cac:OrderReference>
    </xsl:if>
    <xsl:for-each select="c:reference[@kind='invoice']">
      <cac:BillingReference>
        <cac:InvoiceDocumentReference>
          <cbc:ID><xsl:value-of select="."/></cbc:ID>
          <xsl:if test="@date"><cbc:IssueDate><xsl:value-of select="substring(@date, 1, 10)"/></cbc:IssueDate></xsl:if>
        </cac:InvoiceDocumentReference>
      </cac:BillingReference>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='despatch_advice'][1]">
      <cac:DespatchDocumentReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:DespatchDocumentReference>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='receiving_advice'][1]">
      <cac:ReceiptDocumentReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:ReceiptDocumentReference>
    </xsl:for-each>
    <xsl:if test="not($credit)">
      <xsl:apply-templates select="c:reference[@kind='tender'][1]" mode="originator"/>
    </xsl:if>
    <xsl:for-each select="c:reference[@kind='contract'][1]">
      <cac:ContractDocumentReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:ContractDocumentReference>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='invoiced_object'][1]">
      <cac:AdditionalDocumentReference>
        <cbc:ID><xsl:call-template name="scheme-attribute"/><xsl:value-of select="."/></cbc:ID>
        <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
      </cac:AdditionalDocumentReference>
    </xsl:for-each>
    <xsl:for-each select="c:reference[@kind='other']">
      <cac:AdditionalDocumentReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:AdditionalDocumentReference>
    </xsl:for-each>
    <xsl:if test="$credit">
      <!-- A credit note has no ProjectReference: BT-11 is a document reference typed 50. -->
      <xsl:for-each select="c:reference[@kind='project'][1]">
        <cac:AdditionalDocumentReference>
          <cbc:ID><xsl:value-of select="."/></cbc:ID>
          <cbc:DocumentTypeCode>50</cbc:DocumentTypeCode>
        </cac:AdditionalDocumentReference>
      </xsl:for-each>
      <xsl:apply-templates select="c:reference[@kind='tender'][1]" mode="originator"/>
    </xsl:if>
    <xsl:if test="not($credit)">
      <xsl:for-each select="c:reference[@kind='project'][1]">
        <cac:ProjectReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:ProjectReference>
      </xsl:for-each>
    </xsl:if>
    <cac:AccountingSupplierParty>
      <xsl:apply-templates select="c:party[@role='supplier'][1]" mode="trade-party"/>
    </cac:AccountingSupplierParty>
    <cac:AccountingCustomerParty>
      <xsl:apply-templates select="c:party[@role='buyer'][1]" mode="trade-party"/>
    </cac:AccountingCustomerParty>
    <xsl:apply-templates select="c:party[@role='payee'][1]" mode="payee"/>
    <xsl:apply-templates select="c:party[@role='tax_representative'][1]" mode="tax-representative"/>
    <xsl:if test="c:date[@role='delivery'] or c:party[@role='delivery']">
      <cac:Delivery>
        <xsl:for-each select="c:date[@role='delivery'][1]">
          <cbc:ActualDeliveryDate><xsl:value-of select="substring(., 1, 10)"/></cbc:ActualDeliveryDate>
        </xsl:for-each>
        <xsl:apply-templates select="c:party[@role='delivery'][1]" mode="delivery"/>
      </cac:Delivery>
    </xsl:if>
    <xsl:apply-templates select="c:paymentMeans"/>
    <xsl:if test="c:paymentTerms/c:text[normalize-space()]">
      <cac:PaymentTerms>
        <cbc:Note>
          <xsl:for-each select="c:paymentTerms/c:text[normalize-space()]">
            <xsl:if test="position() > 1"><xsl:value-of select="$nl"/></xsl:if>
            <xsl:value-of select="."/>
          </xsl:for-each>
        </cbc:Note>
      </cac:PaymentTerms>
    </xsl:if>
    <xsl:apply-templates select="c:allowanceCharge"/>
    <xsl:if test="c:totals/c:taxTotal">
      <cac:TaxTotal>
        <cbc:TaxAmount currencyID="{$cur}"><xsl:value-of select="c:totals/c:taxTotal"/></cbc:TaxAmount>
        <xsl:apply-templates select="c:tax" mode="subtotal"/>
      </cac:TaxTotal>
    </xsl:if>
    <xsl:if test="c:taxCurrency and c:totals/c:taxTotalInTaxCurrency">
      <cac:TaxTotal>
        <cbc:TaxAmount currencyID="{c:taxCurrency}"><xsl:value-of select="c:totals/c:taxTotalInTaxCurrency"/></cbc:TaxAmount>
      </cac:TaxTotal>
    </xsl:if>
    <cac:LegalMonetaryTotal>
      <xsl:apply-templates select="c:totals/c:lineAmountTotal" mode="amount"><xsl:with-param name="name" select="'LineExtensionAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:taxBasisTotal" mode="amount"><xsl:with-param name="name" select="'TaxExclusiveAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:grandTotal" mode="amount"><xsl:with-param name="name" select="'TaxInclusiveAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:allowanceTotal" mode="amount"><xsl:with-param name="name" select="'AllowanceTotalAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:chargeTotal" mode="amount"><xsl:with-param name="name" select="'ChargeTotalAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:prepaidAmount" mode="amount"><xsl:with-param name="name" select="'PrepaidAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:roundingAmount" mode="amount"><xsl:with-param name="name" select="'PayableRoundingAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:totals/c:payableAmount" mode="amount"><xsl:with-param name="name" select="'PayableAmount'"/></xsl:apply-templates>
    </cac:LegalMonetaryTotal>
    <xsl:apply-templates select="c:line"/>
  </xsl:template>

  <!-- BT-3: the code as sent, else 381 for a credit note and 380 for an invoice. -->
  <xsl:template name="type-code">
    <xsl:choose>
      <xsl:when test="normalize-space(c:type/@code)"><xsl:value-of select="c:type/@code"/></xsl:when>
      <xsl:when test="$credit">381</xsl:when>
      <xsl:otherwise>380</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- BT-21 + BT-22: a UNTDID 4451 subject code (three capitals) goes in front of the text
       as #CODE#, the way XRechnung and Peppol write it in UBL; text that already starts with
       # is written as it is. -->
  <xsl:template name="note-text">
    <xsl:if test="string-length(@qualifier) = 3 and translate(@qualifier, $upper, '') = ''
                  and not(starts-with(., '#'))">
      <xsl:value-of select="concat('#', @qualifier, '#')"/>
    </xsl:if>
    <xsl:value-of select="."/>
  </xsl:template>

  <xsl:template match="c:date" mode="tax-point">
    <cbc:TaxPointDate><xsl:value-of select="substring(., 1, 10)"/></cbc:TaxPointDate>
  </xsl:template>

  <xsl:template match="c:reference" mode="originator">
    <cac:OriginatorDocumentReference><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:OriginatorDocumentReference>
  </xsl:template>

  <!-- BG-14 (document) or BG-26 (line): the period of the context node. -->
  <xsl:template name="period">
    <xsl:if test="c:date[@role='period_start'] or c:date[@role='period_end']">
      <cac:InvoicePeriod>
        <xsl:for-each select="c:date[@role='period_start'][1]">
          <cbc:StartDate><xsl:value-of select="substring(., 1, 10)"/></cbc:StartDate>
        </xsl:for-each>
        <xsl:for-each select="c:date[@role='period_end'][1]">
          <cbc:EndDate><xsl:value-of select="substring(., 1, 10)"/></cbc:EndDate>
        </xsl:for-each>
      </cac:InvoicePeriod>
    </xsl:if>
  </xsl:template>

  <!-- An amount element in the cbc namespace with the document currency. -->
  <xsl:template match="*" mode="amount">
    <xsl:param name="name"/>
    <xsl:element name="cbc:{$name}">
      <xsl:attribute name="currencyID"><xsl:value-of select="$cur"/></xsl:attribute>
      <xsl:value-of select="."/>
    </xsl:element>
  </xsl:template>

  <!-- schemeID from @scheme or @qualifier, when there is one. -->
  <xsl:template name="scheme-attribute">
    <xsl:variable name="s" select="normalize-space(@scheme | @qualifier)"/>
    <xsl:if test="$s != ''"><xsl:attribute name="schemeID"><xsl:value-of select="$s"/></xsl:attribute></xsl:if>
  </xsl:template>

  <!-- A party identifier (BT-29, BT-46, BT-60, BT-71): GLN is ICD 0088 and DUNS 0060; an
       @agency of four digits is taken as its ISO 6523 ICD; other identifiers have no
       scheme. -->
  <xsl:template name="id-scheme">
    <xsl:choose>
      <xsl:when test="@scheme = 'gln'"><xsl:attribute name="schemeID">0088</xsl:attribute></xsl:when>
      <xsl:when test="@scheme = 'duns'"><xsl:attribute name="schemeID">0060</xsl:attribute></xsl:when>
      <xsl:when test="string-length(@agency) = 4 and translate(@agency, '0123456789', '') = ''">
        <xsl:attribute name="schemeID"><xsl:value-of select="@agency"/></xsl:attribute>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="c:id" mode="identification">
    <cac:PartyIdentification>
      <cbc:ID><xsl:call-template name="id-scheme"/><xsl:value-of select="."/></cbc:ID>
    </cac:PartyIdentification>
  </xsl:template>

  <!-- BT-90, the SEPA creditor identifier, is a party identifier with scheme SEPA: the
       payee's when there is a payee, else the seller's. -->
  <xsl:template name="sepa-creditor">
    <xsl:for-each select="($doc/c:paymentMeans/c:creditorId[normalize-space()])[1]">
      <cac:PartyIdentification><cbc:ID schemeID="SEPA"><xsl:value-of select="."/></cbc:ID></cac:PartyIdentification>
    </xsl:for-each>
  </xsl:template>

  <!-- The identifiers that are neither tax numbers nor legal registrations. -->
  <xsl:template name="party-ids">
    <xsl:param name="max" select="100"/>
    <xsl:apply-templates select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][position() &lt;= $max]"
                         mode="identification"/>
  </xsl:template>

  <!-- Seller (BG-4) and buyer (BG-7). -->
  <xsl:template match="c:party" mode="trade-party">
    <cac:Party>
      <xsl:for-each select="c:electronicAddress">
        <cbc:EndpointID><xsl:call-template name="scheme-attribute"/><xsl:value-of select="."/></cbc:EndpointID>
      </xsl:for-each>
      <xsl:choose>
        <xsl:when test="@role = 'supplier'">
          <xsl:call-template name="party-ids"/>
          <xsl:if test="not($doc/c:party[@role='payee'])"><xsl:call-template name="sepa-creditor"/></xsl:if>
        </xsl:when>
        <!-- The buyer has one identifier (BT-46). -->
        <xsl:otherwise><xsl:call-template name="party-ids"><xsl:with-param name="max" select="1"/></xsl:call-template></xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="c:tradingName[normalize-space()]">
        <cac:PartyName><cbc:Name><xsl:value-of select="."/></cbc:Name></cac:PartyName>
      </xsl:for-each>
      <xsl:call-template name="address"><xsl:with-param name="element" select="'PostalAddress'"/></xsl:call-template>
      <xsl:for-each select="c:id[@scheme='vat'][1]">
        <cac:PartyTaxScheme>
          <cbc:CompanyID><xsl:value-of select="."/></cbc:CompanyID>
          <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
        </cac:PartyTaxScheme>
      </xsl:for-each>
      <!-- BT-32 exists for the seller only: its scheme as received (@agency), else FC, the
           German Steuernummer. -->
      <xsl:if test="@role = 'supplier'">
        <xsl:for-each select="c:id[@scheme='tax_number'][1]">
          <cac:PartyTaxScheme>
            <cbc:CompanyID><xsl:value-of select="."/></cbc:CompanyID>
            <cac:TaxScheme>
              <cbc:ID>
                <xsl:choose>
                  <xsl:when test="normalize-space(@agency) != '' and @agency != 'VAT'"><xsl:value-of select="normalize-space(@agency)"/></xsl:when>
                  <xsl:otherwise>FC</xsl:otherwise>
                </xsl:choose>
              </cbc:ID>
            </cac:TaxScheme>
          </cac:PartyTaxScheme>
        </xsl:for-each>
      </xsl:if>
      <xsl:if test="c:name[normalize-space()] or c:id[@scheme='legal']">
        <cac:PartyLegalEntity>
          <xsl:for-each select="c:name[normalize-space()][1]">
            <cbc:RegistrationName><xsl:value-of select="."/></cbc:RegistrationName>
          </xsl:for-each>
          <xsl:for-each select="c:id[@scheme='legal'][1]">
            <cbc:CompanyID><xsl:call-template name="id-scheme"/><xsl:value-of select="."/></cbc:CompanyID>
          </xsl:for-each>
        </cac:PartyLegalEntity>
      </xsl:if>
      <xsl:for-each select="c:contact[c:name[normalize-space()] or c:phone[normalize-space()] or c:email[normalize-space()]][1]">
        <cac:Contact>
          <xsl:for-each select="c:name[normalize-space()]"><cbc:Name><xsl:value-of select="."/></cbc:Name></xsl:for-each>
          <xsl:for-each select="c:phone[normalize-space()][1]"><cbc:Telephone><xsl:value-of select="."/></cbc:Telephone></xsl:for-each>
          <xsl:for-each select="c:email[normalize-space()][1]"><cbc:ElectronicMail><xsl:value-of select="."/></cbc:ElectronicMail></xsl:for-each>
        </cac:Contact>
      </xsl:for-each>
    </cac:Party>
  </xsl:template>

  <!-- Payee (BG-10): identifier, name, legal registration. -->
  <xsl:template match="c:party" mode="payee">
    <cac:PayeeParty>
      <xsl:call-template name="party-ids"><xsl:with-param name="max" select="1"/></xsl:call-template>
      <xsl:call-template name="sepa-creditor"/>
      <xsl:for-each select="c:name[normalize-space()][1]">
        <cac:PartyName><cbc:Name><xsl:value-of select="."/></cbc:Name></cac:PartyName>
      </xsl:for-each>
      <xsl:for-each select="c:id[@scheme='legal'][1]">
        <cac:PartyLegalEntity>
          <cbc:CompanyID><xsl:call-template name="id-scheme"/><xsl:value-of select="."/></cbc:CompanyID>
        </cac:PartyLegalEntity>
      </xsl:for-each>
    </cac:PayeeParty>
  </xsl:template>

  <!-- Seller's tax representative (BG-11): name, address, VAT identifier. -->
  <xsl:template match="c:party" mode="tax-representative">
    <cac:TaxRepresentativeParty>
      <xsl:for-each select="c:name[normalize-space()][1]">
        <cac:PartyName><cbc:Name><xsl:value-of select="."/></cbc:Name></cac:PartyName>
      </xsl:for-each>
      <xsl:call-template name="address"><xsl:with-param name="element" select="'PostalAddress'"/></xsl:call-template>
      <xsl:for-each select="c:id[@scheme='vat'][1]">
        <cac:PartyTaxScheme>
          <cbc:CompanyID><xsl:value-of select="."/></cbc:CompanyID>
          <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
        </cac:PartyTaxScheme>
      </xsl:for-each>
    </cac:TaxRepresentativeParty>
  </xsl:template>

  <!-- Deliver-to location and party (BG-13: BT-70, BT-71, BG-15). -->
  <xsl:template match="c:party" mode="delivery">
    <xsl:variable name="other-id" select="c:id[@scheme != 'vat' and @scheme != 'tax_number' and @scheme != 'legal'][1]"/>
    <xsl:variable name="location-id" select="c:id[@scheme='gln'][1] | $other-id[not(../c:id[@scheme='gln'])]"/>
    <xsl:if test="$location-id or c:street[normalize-space()] or c:city[normalize-space()]
                  or c:postcode[normalize-space()] or c:country">
      <cac:DeliveryLocation>
        <xsl:for-each select="$location-id">
          <cbc:ID><xsl:call-template name="id-scheme"/><xsl:value-of select="."/></cbc:ID>
        </xsl:for-each>
        <xsl:call-template name="address"><xsl:with-param name="element" select="'Address'"/></xsl:call-template>
      </cac:DeliveryLocation>
    </xsl:if>
    <xsl:for-each select="c:name[normalize-space()][1]">
      <cac:DeliveryParty><cac:PartyName><cbc:Name><xsl:value-of select="."/></cbc:Name></cac:PartyName></cac:DeliveryParty>
    </xsl:for-each>
  </xsl:template>

  <!-- An address (BG-5, BG-8, BG-12, BG-15) in AddressType order; written only when the
       party has address data. -->
  <xsl:template name="address">
    <xsl:param name="element"/>
    <xsl:if test="c:street[normalize-space()] or c:city[normalize-space()] or c:postcode[normalize-space()]
                  or c:countrySubdivision[normalize-space()] or c:country">
      <xsl:element name="cac:{$element}">
        <xsl:for-each select="c:street[normalize-space()][1]"><cbc:StreetName><xsl:value-of select="."/></cbc:StreetName></xsl:for-each>
        <xsl:for-each select="c:street[normalize-space()][2]"><cbc:AdditionalStreetName><xsl:value-of select="."/></cbc:AdditionalStreetName></xsl:for-each>
        <xsl:for-each select="c:city[normalize-space()]"><cbc:CityName><xsl:value-of select="."/></cbc:CityName></xsl:for-each>
        <xsl:for-each select="c:postcode[normalize-space()]"><cbc:PostalZone><xsl:value-of select="."/></cbc:PostalZone></xsl:for-each>
        <xsl:for-each select="c:countrySubdivision[normalize-space()]"><cbc:CountrySubentity><xsl:value-of select="."/></cbc:CountrySubentity></xsl:for-each>
        <xsl:for-each select="c:street[normalize-space()][3]"><cac:AddressLine><cbc:Line><xsl:value-of select="."/></cbc:Line></cac:AddressLine></xsl:for-each>
        <xsl:for-each select="c:country">
          <cac:Country><cbc:IdentificationCode><xsl:value-of select="."/></cbc:IdentificationCode></cac:Country>
        </xsl:for-each>
      </xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- BG-16: one cac:PaymentMeans per payee account (BG-17 repeats this way in UBL), or one
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
    <cac:PaymentMeans>
      <cbc:PaymentMeansCode>
        <xsl:for-each select="c:text[normalize-space()]"><xsl:attribute name="name"><xsl:value-of select="."/></xsl:attribute></xsl:for-each>
        <xsl:value-of select="@code"/>
      </cbc:PaymentMeansCode>
      <!-- A credit note has no cbc:DueDate; BT-9 is written here instead. -->
      <xsl:if test="$credit">
        <xsl:for-each select="($doc/c:date[@role='due'] | $doc/c:paymentTerms/c:dueDate)[1]">
          <cbc:PaymentDueDate><xsl:value-of select="substring(., 1, 10)"/></cbc:PaymentDueDate>
        </xsl:for-each>
      </xsl:if>
      <xsl:for-each select="c:remittance[normalize-space()]"><cbc:PaymentID><xsl:value-of select="."/></cbc:PaymentID></xsl:for-each>
      <xsl:for-each select="c:cardNumber[normalize-space()]">
        <cac:CardAccount>
          <cbc:PrimaryAccountNumberID><xsl:value-of select="."/></cbc:PrimaryAccountNumberID>
          <!-- The card network is not in EN 16931 but the schema needs it; Peppol writes NA. -->
          <cbc:NetworkID>NA</cbc:NetworkID>
          <xsl:for-each select="../c:cardHolder[normalize-space()]"><cbc:HolderName><xsl:value-of select="."/></cbc:HolderName></xsl:for-each>
        </cac:CardAccount>
      </xsl:for-each>
      <xsl:for-each select="$account">
        <cac:PayeeFinancialAccount>
          <cbc:ID><xsl:value-of select="c:iban"/></cbc:ID>
          <xsl:for-each select="c:name[normalize-space()]"><cbc:Name><xsl:value-of select="."/></cbc:Name></xsl:for-each>
          <xsl:for-each select="c:bic[normalize-space()]">
            <cac:FinancialInstitutionBranch><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:FinancialInstitutionBranch>
          </xsl:for-each>
        </cac:PayeeFinancialAccount>
      </xsl:for-each>
      <xsl:if test="c:mandate[normalize-space()] or c:debitedAccount[normalize-space()]">
        <cac:PaymentMandate>
          <xsl:for-each select="c:mandate[normalize-space()]"><cbc:ID><xsl:value-of select="."/></cbc:ID></xsl:for-each>
          <xsl:for-each select="c:debitedAccount[normalize-space()]">
            <cac:PayerFinancialAccount><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:PayerFinancialAccount>
          </xsl:for-each>
        </cac:PaymentMandate>
      </xsl:if>
    </cac:PaymentMeans>
  </xsl:template>

  <!-- Allowance or charge: document level (BG-20, BG-21, with its VAT category) and line
       level (BG-27, BG-28, without). -->
  <xsl:template match="c:allowanceCharge">
    <cac:AllowanceCharge>
      <cbc:ChargeIndicator><xsl:value-of select="@kind = 'charge'"/></cbc:ChargeIndicator>
      <xsl:for-each select="c:reason[normalize-space(@qualifier)]">
        <cbc:AllowanceChargeReasonCode><xsl:value-of select="@qualifier"/></cbc:AllowanceChargeReasonCode>
      </xsl:for-each>
      <xsl:for-each select="c:reason[normalize-space()]">
        <cbc:AllowanceChargeReason><xsl:value-of select="."/></cbc:AllowanceChargeReason>
      </xsl:for-each>
      <xsl:for-each select="c:percent"><cbc:MultiplierFactorNumeric><xsl:value-of select="."/></cbc:MultiplierFactorNumeric></xsl:for-each>
      <xsl:apply-templates select="c:amount" mode="amount"><xsl:with-param name="name" select="'Amount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:basisAmount" mode="amount"><xsl:with-param name="name" select="'BaseAmount'"/></xsl:apply-templates>
      <xsl:if test="not(parent::c:line)">
        <xsl:for-each select="c:tax"><xsl:call-template name="tax-category"/></xsl:for-each>
      </xsl:if>
    </cac:AllowanceCharge>
  </xsl:template>

  <!-- cac:TaxCategory (or cac:ClassifiedTaxCategory) of the context tax. -->
  <xsl:template name="tax-category">
    <xsl:param name="element" select="'TaxCategory'"/>
    <xsl:param name="exemption" select="false()"/>
    <xsl:element name="cac:{$element}">
      <xsl:for-each select="c:category[normalize-space()]"><cbc:ID><xsl:value-of select="."/></cbc:ID></xsl:for-each>
      <xsl:for-each select="c:ratePercent"><cbc:Percent><xsl:value-of select="."/></cbc:Percent></xsl:for-each>
      <xsl:if test="$exemption">
        <xsl:for-each select="c:exemptionCode[normalize-space()]"><cbc:TaxExemptionReasonCode><xsl:value-of select="."/></cbc:TaxExemptionReasonCode></xsl:for-each>
        <xsl:for-each select="c:exemptionReason[normalize-space()]"><cbc:TaxExemptionReason><xsl:value-of select="."/></cbc:TaxExemptionReason></xsl:for-each>
      </xsl:if>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
    </xsl:element>
  </xsl:template>

  <!-- One VAT breakdown entry (BG-23). -->
  <xsl:template match="c:tax" mode="subtotal">
    <cac:TaxSubtotal>
      <xsl:apply-templates select="c:basisAmount" mode="amount"><xsl:with-param name="name" select="'TaxableAmount'"/></xsl:apply-templates>
      <xsl:apply-templates select="c:amount" mode="amount"><xsl:with-param name="name" select="'TaxAmount'"/></xsl:apply-templates>
      <xsl:call-template name="tax-category"><xsl:with-param name="exemption" select="true()"/></xsl:call-template>
    </cac:TaxSubtotal>
  </xsl:template>

  <!-- An invoice line (BG-25) or credit note line. -->
  <xsl:template match="c:line">
    <xsl:variable name="name">
      <xsl:choose><xsl:when test="$credit">CreditNoteLine</xsl:when><xsl:otherwise>InvoiceLine</xsl:otherwise></xsl:choose>
    </xsl:variable>
    <xsl:element name="cac:{$name}">
      <cbc:ID><xsl:value-of select="c:number"/></cbc:ID>
      <xsl:if test="c:text[normalize-space()]">
        <cbc:Note>
          <xsl:for-each select="c:text[normalize-space()]">
            <xsl:if test="position() > 1"><xsl:value-of select="$nl"/></xsl:if>
            <xsl:value-of select="."/>
          </xsl:for-each>
        </cbc:Note>
      </xsl:if>
      <xsl:for-each select="c:quantity">
        <xsl:variable name="quantity-name">
          <xsl:choose><xsl:when test="$credit">CreditedQuantity</xsl:when><xsl:otherwise>InvoicedQuantity</xsl:otherwise></xsl:choose>
        </xsl:variable>
        <xsl:element name="cbc:{$quantity-name}">
          <xsl:if test="@unit"><xsl:attribute name="unitCode"><xsl:value-of select="@unit"/></xsl:attribute></xsl:if>
          <xsl:value-of select="."/>
        </xsl:element>
      </xsl:for-each>
      <xsl:apply-templates select="c:lineAmount" mode="amount"><xsl:with-param name="name" select="'LineExtensionAmount'"/></xsl:apply-templates>
      <xsl:for-each select="c:reference[@kind='accounting'][1]">
        <cbc:AccountingCost><xsl:value-of select="."/></cbc:AccountingCost>
      </xsl:for-each>
      <xsl:call-template name="period"/>
      <xsl:for-each select="c:reference[@kind='customer_order'][normalize-space(@line)][1]">
        <cac:OrderLineReference><cbc:LineID><xsl:value-of select="@line"/></cbc:LineID></cac:OrderLineReference>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='invoiced_object'][1]">
        <cac:DocumentReference>
          <cbc:ID><xsl:call-template name="scheme-attribute"/><xsl:value-of select="."/></cbc:ID>
          <cbc:DocumentTypeCode>130</cbc:DocumentTypeCode>
        </cac:DocumentReference>
      </xsl:for-each>
      <xsl:apply-templates select="c:allowanceCharge"/>
      <!-- BT-153 item name and BT-154 description: by @qualifier name/description when the
           descriptions carry them (UBL and CII sources), else the first and the second. -->
      <xsl:variable name="by-role" select="c:description[@qualifier = 'name' or @qualifier = 'description']"/>
      <cac:Item>
        <xsl:for-each select="c:description[@qualifier = 'description'][normalize-space()][1]
                              | c:description[normalize-space()][2][not($by-role)]">
          <cbc:Description><xsl:value-of select="."/></cbc:Description>
        </xsl:for-each>
        <xsl:for-each select="c:description[@qualifier = 'name'][normalize-space()][1]
                              | c:description[normalize-space()][1][not($by-role)]">
          <cbc:Name><xsl:value-of select="."/></cbc:Name>
        </xsl:for-each>
        <xsl:for-each select="c:buyerArticle[normalize-space()]">
          <cac:BuyersItemIdentification><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:BuyersItemIdentification>
        </xsl:for-each>
        <xsl:for-each select="c:supplierArticle[normalize-space()]">
          <cac:SellersItemIdentification><cbc:ID><xsl:value-of select="."/></cbc:ID></cac:SellersItemIdentification>
        </xsl:for-each>
        <xsl:for-each select="c:gtin[normalize-space()]">
          <cac:StandardItemIdentification><cbc:ID schemeID="0160"><xsl:value-of select="."/></cbc:ID></cac:StandardItemIdentification>
        </xsl:for-each>
        <xsl:for-each select="c:originCountry">
          <cac:OriginCountry><cbc:IdentificationCode><xsl:value-of select="."/></cbc:IdentificationCode></cac:OriginCountry>
        </xsl:for-each>
        <xsl:for-each select="c:classification[normalize-space()]">
          <cac:CommodityClassification>
            <cbc:ItemClassificationCode>
              <xsl:if test="normalize-space(@qualifier)"><xsl:attribute name="listID"><xsl:value-of select="@qualifier"/></xsl:attribute></xsl:if>
              <xsl:value-of select="."/>
            </cbc:ItemClassificationCode>
          </cac:CommodityClassification>
        </xsl:for-each>
        <xsl:for-each select="c:tax[1]">
          <xsl:call-template name="tax-category"><xsl:with-param name="element" select="'ClassifiedTaxCategory'"/></xsl:call-template>
        </xsl:for-each>
        <xsl:for-each select="c:attribute">
          <cac:AdditionalItemProperty>
            <cbc:Name><xsl:value-of select="c:name"/></cbc:Name>
            <cbc:Value><xsl:value-of select="c:value"/></cbc:Value>
          </cac:AdditionalItemProperty>
        </xsl:for-each>
      </cac:Item>
      <xsl:for-each select="c:netPrice">
        <cac:Price>
          <cbc:PriceAmount currencyID="{$cur}"><xsl:value-of select="."/></cbc:PriceAmount>
          <xsl:for-each select="@basisQuantity">
            <cbc:BaseQuantity>
              <!-- BT-150 is the unit of BT-130 when the price names none of its own. -->
              <xsl:choose>
                <xsl:when test="../@basisUnit"><xsl:attribute name="unitCode"><xsl:value-of select="../@basisUnit"/></xsl:attribute></xsl:when>
                <xsl:when test="../../c:quantity/@unit"><xsl:attribute name="unitCode"><xsl:value-of select="../../c:quantity/@unit"/></xsl:attribute></xsl:when>
              </xsl:choose>
              <xsl:value-of select="."/>
            </cbc:BaseQuantity>
          </xsl:for-each>
        </cac:Price>
      </xsl:for-each>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
