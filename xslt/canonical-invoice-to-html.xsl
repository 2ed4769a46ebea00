<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical invoice (or credit note) -> one self-contained HTML page for people in finance
  to read and print (docs/canonical.md "Invoice as HTML"): seller and buyer, the invoice
  data, the lines, document allowances and charges, the VAT breakdown, the totals BT-106 to
  BT-115 in words, payment terms and means, notes. Inline CSS with a print stylesheet (A4,
  rows never split across pages); no script, no external resource, no link.
  Values are shown as the document has them: amounts as strings with the currency code
  added, dates as ISO 8601; nothing is computed or rounded. The one change to a value is
  the IBAN, shown in groups of four characters. Every text from the document is written as
  text (the HTML output method escapes it), never into an attribute, so a name holding
  markup shows that markup instead of running it.
  No parameters. A root other than a canonical invoice stops the transformation.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                exclude-result-prefixes="c">
  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="doc" select="/c:invoice"/>
  <xsl:variable name="currency" select="normalize-space($doc/c:currency)"/>
  <xsl:variable name="credit" select="$doc/c:type = 'credit_note'"/>
  <xsl:variable name="title">
    <xsl:choose>
      <xsl:when test="$credit">Credit note</xsl:when>
      <xsl:otherwise>Invoice</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:template match="/">
    <xsl:if test="not($doc)">
      <xsl:message terminate="yes">the document is not a canonical invoice</xsl:message>
    </xsl:if>
    <html lang="en">
      <head>
        <title><xsl:value-of select="concat($title, ' ', $doc/c:number)"/></title>
        <style>
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #000; margin: 2em; }
h1 { font-size: 16pt; margin: 0 0 0.5em 0; }
h2 { font-size: 11pt; margin: 1.2em 0 0.4em 0; border-bottom: 1px solid #888; }
.parties { display: flex; gap: 2em; }
.party { flex: 1; border: 1px solid #ccc; padding: 0.5em 0.8em; }
.party h2 { margin-top: 0; }
.party p { margin: 0.1em 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.4em; vertical-align: top; text-align: left; }
th { background: #eee; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.facts { width: auto; }
table.facts th { width: 14em; }
table.totals { width: auto; margin-left: auto; }
tr.payable td, tr.payable th { font-weight: bold; border-top: 2px solid #000; }
.small { font-size: 8.5pt; color: #444; }
@media print {
  @page { size: A4; margin: 15mm; }
  body { margin: 0; font-size: 9pt; }
  tr, .party { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { page-break-after: avoid; break-after: avoid; }
  th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="concat($title, ' ', $doc/c:number)"/></h1>
        <div class="parties">
          <xsl:call-template name="party">
            <xsl:with-param name="p" select="$doc/c:party[@role = 'supplier'][1]"/>
            <xsl:with-param name="heading" select="'Seller'"/>
          </xsl:call-template>
          <xsl:call-template name="party">
            <xsl:with-param name="p" select="$doc/c:party[@role = 'buyer'][1]"/>
            <xsl:with-param name="heading" select="'Buyer'"/>
          </xsl:call-template>
        </div>
        <xsl:apply-templates select="$doc/c:party[@role = 'payee' or @role = 'tax_representative'
                                     or @role = 'delivery' or @role = 'invoicee']" mode="other-party"/>
        <xsl:call-template name="facts"/>
        <xsl:call-template name="lines"/>
        <xsl:call-template name="document-allowances"/>
        <xsl:call-template name="vat"/>
        <xsl:apply-templates select="$doc/c:totals"/>
        <xsl:call-template name="payment"/>
        <xsl:if test="$doc/c:text">
          <h2>Notes</h2>
          <xsl:for-each select="$doc/c:text">
            <p class="note"><xsl:value-of select="."/></p>
          </xsl:for-each>
        </xsl:if>
      </body>
    </html>
  </xsl:template>

  <!-- ==== small helpers ============================================================ -->

  <!-- An amount as sent with the document's currency code. -->
  <xsl:template name="money">
    <xsl:param name="v"/>
    <xsl:value-of select="$v"/>
    <xsl:if test="$currency != ''"><xsl:value-of select="concat(' ', $currency)"/></xsl:if>
  </xsl:template>

  <!-- A table row "label | value" when the value is there. -->
  <xsl:template name="fact">
    <xsl:param name="label"/>
    <xsl:param name="value"/>
    <xsl:if test="string($value) != ''">
      <tr><th><xsl:value-of select="$label"/></th><td><xsl:value-of select="$value"/></td></tr>
    </xsl:if>
  </xsl:template>

  <!-- An IBAN in groups of four, whatever blanks it was sent with. -->
  <xsl:template name="iban">
    <xsl:param name="v" select="translate(., ' ', '')"/>
    <xsl:value-of select="substring($v, 1, 4)"/>
    <xsl:if test="string-length($v) &gt; 4">
      <xsl:text> </xsl:text>
      <xsl:call-template name="iban"><xsl:with-param name="v" select="substring($v, 5)"/></xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- UNCL 5305 VAT categories in words, as EN 16931 uses them. -->
  <xsl:template name="category">
    <xsl:param name="code" select="normalize-space(.)"/>
    <xsl:choose>
      <xsl:when test="$code = 'S'">Standard rate</xsl:when>
      <xsl:when test="$code = 'Z'">Zero rated</xsl:when>
      <xsl:when test="$code = 'E'">Exempt from VAT</xsl:when>
      <xsl:when test="$code = 'AE'">Reverse charge</xsl:when>
      <xsl:when test="$code = 'K'">Intra-community supply</xsl:when>
      <xsl:when test="$code = 'G'">Export outside the EU</xsl:when>
      <xsl:when test="$code = 'O'">Outside the scope of VAT</xsl:when>
      <xsl:when test="$code = 'L'">Canary Islands tax (IGIC)</xsl:when>
      <xsl:when test="$code = 'M'">Ceuta and Melilla tax (IPSI)</xsl:when>
      <xsl:otherwise>Category</xsl:otherwise>
    </xsl:choose>
    <xsl:if test="$code != ''"><xsl:value-of select="concat(' (', $code, ')')"/></xsl:if>
  </xsl:template>

  <!-- A tax of a line or an allowance/charge: category and rate. -->
  <xsl:template match="c:tax" mode="short">
    <xsl:for-each select="c:category">
      <xsl:call-template name="category"/>
    </xsl:for-each>
    <xsl:if test="c:ratePercent">
      <xsl:if test="c:category"><xsl:text>, </xsl:text></xsl:if>
      <xsl:value-of select="concat(c:ratePercent, ' %')"/>
    </xsl:if>
  </xsl:template>

  <!-- ==== parties ================================================================== -->

  <xsl:template name="party">
    <xsl:param name="p"/>
    <xsl:param name="heading"/>
    <div class="party">
      <h2><xsl:value-of select="$heading"/></h2>
      <xsl:choose>
        <xsl:when test="$p">
          <xsl:apply-templates select="$p" mode="address"/>
        </xsl:when>
        <xsl:otherwise><p class="small">not given in the document</p></xsl:otherwise>
      </xsl:choose>
    </div>
  </xsl:template>

  <xsl:template match="c:party" mode="other-party">
    <xsl:variable name="heading">
      <xsl:choose>
        <xsl:when test="@role = 'payee'">Payee</xsl:when>
        <xsl:when test="@role = 'tax_representative'">Seller's tax representative</xsl:when>
        <xsl:when test="@role = 'delivery'">Deliver to</xsl:when>
        <xsl:otherwise>Invoicee</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <div class="party">
      <h2><xsl:value-of select="$heading"/></h2>
      <xsl:apply-templates select="." mode="address"/>
    </div>
  </xsl:template>

  <xsl:template match="c:party" mode="address">
    <xsl:for-each select="c:name">
      <p class="name"><strong><xsl:value-of select="."/></strong></p>
    </xsl:for-each>
    <xsl:for-each select="c:tradingName">
      <p>Trading as <xsl:value-of select="."/></p>
    </xsl:for-each>
    <xsl:for-each select="c:department | c:street">
      <p><xsl:value-of select="."/></p>
    </xsl:for-each>
    <xsl:if test="c:postcode or c:city">
      <p><xsl:value-of select="normalize-space(concat(c:postcode, ' ', c:city))"/></p>
    </xsl:if>
    <xsl:for-each select="c:countrySubdivision | c:country">
      <p><xsl:value-of select="."/></p>
    </xsl:for-each>
    <xsl:for-each select="c:id">
      <p>
        <xsl:choose>
          <xsl:when test="@scheme = 'vat'">VAT id: </xsl:when>
          <xsl:when test="@scheme = 'tax_number'">Tax number: </xsl:when>
          <xsl:when test="@scheme = 'legal'">Registration: </xsl:when>
          <xsl:when test="@scheme = 'gln'">GLN: </xsl:when>
          <xsl:when test="@scheme = 'duns'">DUNS: </xsl:when>
          <xsl:otherwise>Id: </xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="."/>
      </p>
    </xsl:for-each>
    <xsl:for-each select="c:electronicAddress">
      <p>Electronic address: <xsl:value-of select="."/></p>
    </xsl:for-each>
    <xsl:for-each select="c:contact">
      <p class="small">
        <xsl:text>Contact: </xsl:text>
        <xsl:for-each select="c:name | c:department | c:phone | c:fax | c:email">
          <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
          <xsl:value-of select="."/>
        </xsl:for-each>
      </p>
    </xsl:for-each>
  </xsl:template>

  <!-- ==== invoice data ============================================================= -->

  <xsl:template name="facts">
    <h2><xsl:value-of select="$title"/> data</h2>
    <table class="facts">
      <tbody>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="concat($title, ' number')"/>
          <xsl:with-param name="value" select="$doc/c:number"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Issue date'"/>
          <xsl:with-param name="value" select="$doc/c:date[@role = 'document']"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Due date'"/>
          <xsl:with-param name="value" select="($doc/c:date[@role = 'due'] | $doc/c:paymentTerms/c:dueDate)[1]"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Delivery date'"/>
          <xsl:with-param name="value" select="$doc/c:date[@role = 'delivery']"/>
        </xsl:call-template>
        <xsl:if test="$doc/c:date[@role = 'period_start' or @role = 'period_end']">
          <xsl:call-template name="fact">
            <xsl:with-param name="label" select="'Delivery / invoicing period'"/>
            <xsl:with-param name="value" select="concat($doc/c:date[@role = 'period_start'], ' to ',
                                                 $doc/c:date[@role = 'period_end'])"/>
          </xsl:call-template>
        </xsl:if>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Tax point date'"/>
          <xsl:with-param name="value" select="$doc/c:date[@role = 'tax_point']"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Currency'"/>
          <xsl:with-param name="value" select="$doc/c:currency"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'VAT accounting currency'"/>
          <xsl:with-param name="value" select="$doc/c:taxCurrency"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Buyer reference'"/>
          <xsl:with-param name="value" select="$doc/c:reference[@kind = 'buyer_reference']"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Order reference'"/>
          <xsl:with-param name="value" select="$doc/c:reference[@kind = 'customer_order']"/>
        </xsl:call-template>
        <xsl:apply-templates select="$doc/c:reference[@kind != 'buyer_reference' and @kind != 'customer_order']"/>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Specification'"/>
          <xsl:with-param name="value" select="$doc/c:specification"/>
        </xsl:call-template>
        <xsl:call-template name="fact">
          <xsl:with-param name="label" select="'Business process'"/>
          <xsl:with-param name="value" select="$doc/c:process"/>
        </xsl:call-template>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="c:reference">
    <xsl:variable name="label">
      <xsl:choose>
        <xsl:when test="@kind = 'invoice'">Preceding invoice</xsl:when>
        <xsl:when test="@kind = 'contract'">Contract</xsl:when>
        <xsl:when test="@kind = 'project'">Project</xsl:when>
        <xsl:when test="@kind = 'despatch_advice'">Despatch advice</xsl:when>
        <xsl:when test="@kind = 'receiving_advice'">Receiving advice</xsl:when>
        <xsl:when test="@kind = 'tender'">Tender or lot</xsl:when>
        <xsl:when test="@kind = 'invoiced_object'">Invoiced object</xsl:when>
        <xsl:when test="@kind = 'accounting'">Buyer accounting reference</xsl:when>
        <xsl:when test="@kind = 'supplier_order'">Sales order reference</xsl:when>
        <xsl:when test="@kind = 'quotation'">Quotation</xsl:when>
        <xsl:otherwise>Reference</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <tr>
      <th><xsl:value-of select="$label"/></th>
      <td>
        <xsl:value-of select="."/>
        <xsl:if test="@date"><xsl:value-of select="concat(' of ', @date)"/></xsl:if>
      </td>
    </tr>
  </xsl:template>

  <!-- ==== lines ==================================================================== -->

  <xsl:template name="lines">
    <h2>Lines</h2>
    <table class="lines">
      <thead>
        <tr>
          <th>No.</th><th>Article</th><th>Description</th><th class="num">Quantity</th>
          <th class="num">Net price</th><th>Allowances / charges</th><th>VAT</th>
          <th class="num">Line amount</th>
        </tr>
      </thead>
      <tbody>
        <xsl:apply-templates select="$doc/c:line"/>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="c:line">
    <tr class="line">
      <td><xsl:value-of select="c:number"/></td>
      <td>
        <xsl:for-each select="c:supplierArticle">
          <div>Seller: <xsl:value-of select="."/></div>
        </xsl:for-each>
        <xsl:for-each select="c:buyerArticle">
          <div>Buyer: <xsl:value-of select="."/></div>
        </xsl:for-each>
        <xsl:for-each select="c:manufacturerArticle">
          <div>Manufacturer: <xsl:value-of select="."/></div>
        </xsl:for-each>
        <xsl:for-each select="c:gtin">
          <div>GTIN: <xsl:value-of select="."/></div>
        </xsl:for-each>
      </td>
      <td>
        <xsl:for-each select="c:description">
          <div class="description"><xsl:value-of select="."/></div>
        </xsl:for-each>
        <xsl:if test="c:date[@role = 'period_start' or @role = 'period_end']">
          <div class="small">
            <xsl:value-of select="concat('Period ', c:date[@role = 'period_start'], ' to ',
                                  c:date[@role = 'period_end'])"/>
          </div>
        </xsl:if>
        <xsl:for-each select="c:reference">
          <div class="small"><xsl:value-of select="concat('Reference ', .)"/></div>
        </xsl:for-each>
        <xsl:for-each select="c:text">
          <div class="small"><xsl:value-of select="."/></div>
        </xsl:for-each>
      </td>
      <td class="num">
        <xsl:value-of select="c:quantity"/>
        <xsl:if test="c:quantity/@unit"><xsl:value-of select="concat(' ', c:quantity/@unit)"/></xsl:if>
      </td>
      <td class="num">
        <xsl:if test="c:netPrice">
          <xsl:call-template name="money"><xsl:with-param name="v" select="c:netPrice"/></xsl:call-template>
          <xsl:if test="c:netPrice/@basisQuantity">
            <xsl:text> </xsl:text><br/>
            <span class="small">
              <xsl:value-of select="concat('per ', c:netPrice/@basisQuantity)"/>
              <xsl:if test="c:netPrice/@basisUnit"><xsl:value-of select="concat(' ', c:netPrice/@basisUnit)"/></xsl:if>
            </span>
          </xsl:if>
        </xsl:if>
        <xsl:if test="c:grossPrice">
          <xsl:text> </xsl:text><br/>
          <span class="small">
            <xsl:text>gross </xsl:text>
            <xsl:call-template name="money"><xsl:with-param name="v" select="c:grossPrice"/></xsl:call-template>
          </span>
        </xsl:if>
      </td>
      <td>
        <xsl:for-each select="c:allowanceCharge">
          <div><xsl:apply-templates select="." mode="inline"/></div>
        </xsl:for-each>
      </td>
      <td><xsl:apply-templates select="c:tax[1]" mode="short"/></td>
      <td class="num line-amount">
        <xsl:if test="c:lineAmount">
          <xsl:call-template name="money"><xsl:with-param name="v" select="c:lineAmount"/></xsl:call-template>
        </xsl:if>
      </td>
    </tr>
  </xsl:template>

  <!-- An allowance or charge in one line of text. -->
  <xsl:template match="c:allowanceCharge" mode="inline">
    <xsl:choose>
      <xsl:when test="@kind = 'charge'">Charge</xsl:when>
      <xsl:otherwise>Allowance</xsl:otherwise>
    </xsl:choose>
    <xsl:if test="c:reason"><xsl:value-of select="concat(' ', c:reason)"/></xsl:if>
    <xsl:if test="c:percent">
      <xsl:value-of select="concat(' ', c:percent, ' %')"/>
      <xsl:if test="c:basisAmount">
        <xsl:text> of </xsl:text>
        <xsl:call-template name="money"><xsl:with-param name="v" select="c:basisAmount"/></xsl:call-template>
      </xsl:if>
    </xsl:if>
    <xsl:if test="c:amount">
      <xsl:text>: </xsl:text>
      <xsl:call-template name="money"><xsl:with-param name="v" select="c:amount"/></xsl:call-template>
    </xsl:if>
  </xsl:template>

  <xsl:template name="document-allowances">
    <xsl:if test="$doc/c:allowanceCharge">
      <h2>Allowances and charges on the document</h2>
      <table class="allowances">
        <thead>
          <tr><th>Kind</th><th>Reason</th><th class="num">Percent</th><th class="num">Basis</th>
              <th>VAT</th><th class="num">Amount</th></tr>
        </thead>
        <tbody>
          <xsl:for-each select="$doc/c:allowanceCharge">
            <tr class="allowance-charge">
              <td>
                <xsl:choose>
                  <xsl:when test="@kind = 'charge'">Charge</xsl:when>
                  <xsl:otherwise>Allowance</xsl:otherwise>
                </xsl:choose>
              </td>
              <td><xsl:value-of select="c:reason"/></td>
              <td class="num"><xsl:if test="c:percent"><xsl:value-of select="concat(c:percent, ' %')"/></xsl:if></td>
              <td class="num">
                <xsl:if test="c:basisAmount">
                  <xsl:call-template name="money"><xsl:with-param name="v" select="c:basisAmount"/></xsl:call-template>
                </xsl:if>
              </td>
              <td><xsl:apply-templates select="c:tax" mode="short"/></td>
              <td class="num">
                <xsl:if test="c:amount">
                  <xsl:call-template name="money"><xsl:with-param name="v" select="c:amount"/></xsl:call-template>
                </xsl:if>
              </td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </xsl:if>
  </xsl:template>

  <!-- ==== VAT breakdown ============================================================ -->

  <xsl:template name="vat">
    <xsl:if test="$doc/c:tax">
      <h2>VAT breakdown</h2>
      <table class="vat">
        <thead>
          <tr><th>Category</th><th class="num">Rate</th><th class="num">Taxable amount</th>
              <th class="num">VAT amount</th><th>Exemption reason</th></tr>
        </thead>
        <tbody>
          <xsl:for-each select="$doc/c:tax">
            <tr class="vat-row">
              <td><xsl:for-each select="c:category"><xsl:call-template name="category"/></xsl:for-each></td>
              <td class="num"><xsl:if test="c:ratePercent"><xsl:value-of select="concat(c:ratePercent, ' %')"/></xsl:if></td>
              <td class="num">
                <xsl:if test="c:basisAmount">
                  <xsl:call-template name="money"><xsl:with-param name="v" select="c:basisAmount"/></xsl:call-template>
                </xsl:if>
              </td>
              <td class="num">
                <xsl:if test="c:amount">
                  <xsl:call-template name="money"><xsl:with-param name="v" select="c:amount"/></xsl:call-template>
                </xsl:if>
              </td>
              <td>
                <xsl:value-of select="c:exemptionReason"/>
                <xsl:if test="c:exemptionCode">
                  <xsl:if test="c:exemptionReason"><xsl:text> </xsl:text></xsl:if>
                  <xsl:value-of select="concat('(', c:exemptionCode, ')')"/>
                </xsl:if>
              </td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </xsl:if>
  </xsl:template>

  <!-- ==== totals =================================================================== -->

  <xsl:template match="c:totals">
    <h2>Totals</h2>
    <table class="totals">
      <tbody>
        <xsl:apply-templates select="c:lineAmountTotal | c:allowanceTotal | c:chargeTotal
                                     | c:taxBasisTotal | c:taxTotal | c:taxTotalInTaxCurrency
                                     | c:grandTotal | c:prepaidAmount | c:roundingAmount
                                     | c:payableAmount" mode="total"/>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="*" mode="total">
    <xsl:variable name="n" select="local-name()"/>
    <tr class="{$n}{substring(' payable', 1, 8 * ($n = 'payableAmount'))}">
      <th>
        <xsl:choose>
          <xsl:when test="$n = 'lineAmountTotal'">Sum of line net amounts</xsl:when>
          <xsl:when test="$n = 'allowanceTotal'">Sum of allowances on document level</xsl:when>
          <xsl:when test="$n = 'chargeTotal'">Sum of charges on document level</xsl:when>
          <xsl:when test="$n = 'taxBasisTotal'">Total amount without VAT</xsl:when>
          <xsl:when test="$n = 'taxTotal'">Total VAT amount</xsl:when>
          <xsl:when test="$n = 'taxTotalInTaxCurrency'">Total VAT amount in accounting currency</xsl:when>
          <xsl:when test="$n = 'grandTotal'">Total amount with VAT</xsl:when>
          <xsl:when test="$n = 'prepaidAmount'">Paid amount</xsl:when>
          <xsl:when test="$n = 'roundingAmount'">Rounding amount</xsl:when>
          <xsl:otherwise>Amount due for payment</xsl:otherwise>
        </xsl:choose>
      </th>
      <td class="num">
        <xsl:choose>
          <!-- BT-111 is in the VAT accounting currency (BT-6), not the document's. -->
          <xsl:when test="$n = 'taxTotalInTaxCurrency'">
            <xsl:value-of select="normalize-space(concat(., ' ', $doc/c:taxCurrency))"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="money"><xsl:with-param name="v" select="."/></xsl:call-template>
          </xsl:otherwise>
        </xsl:choose>
      </td>
    </tr>
  </xsl:template>

  <!-- ==== payment ================================================================== -->

  <xsl:template name="payment">
    <xsl:if test="$doc/c:paymentTerms or $doc/c:paymentMeans">
      <h2>Payment</h2>
      <table class="facts payment">
        <tbody>
          <xsl:for-each select="$doc/c:paymentTerms">
            <xsl:for-each select="c:text">
              <xsl:call-template name="fact">
                <xsl:with-param name="label" select="'Payment terms'"/>
                <xsl:with-param name="value" select="."/>
              </xsl:call-template>
            </xsl:for-each>
            <xsl:call-template name="fact">
              <xsl:with-param name="label" select="'Due date'"/>
              <xsl:with-param name="value" select="c:dueDate"/>
            </xsl:call-template>
            <xsl:if test="c:periodDays">
              <xsl:call-template name="fact">
                <xsl:with-param name="label" select="'Payable within'"/>
                <xsl:with-param name="value" select="concat(c:periodDays, ' days')"/>
              </xsl:call-template>
            </xsl:if>
            <xsl:if test="c:discountPercent">
              <xsl:call-template name="fact">
                <xsl:with-param name="label" select="'Cash discount'"/>
                <xsl:with-param name="value" select="concat(c:discountPercent, ' %')"/>
              </xsl:call-template>
            </xsl:if>
            <xsl:if test="c:discountAmount">
              <tr>
                <th>Cash discount amount</th>
                <td><xsl:call-template name="money"><xsl:with-param name="v" select="c:discountAmount"/></xsl:call-template></td>
              </tr>
            </xsl:if>
          </xsl:for-each>
          <xsl:apply-templates select="$doc/c:paymentMeans"/>
        </tbody>
      </table>
    </xsl:if>
  </xsl:template>

  <xsl:template match="c:paymentMeans">
    <tr>
      <th>Payment means</th>
      <td>
        <xsl:choose>
          <xsl:when test="@code = '58'">SEPA credit transfer</xsl:when>
          <xsl:when test="@code = '59'">SEPA direct debit</xsl:when>
          <xsl:when test="@code = '30'">Credit transfer</xsl:when>
          <xsl:when test="@code = '31'">Debit transfer</xsl:when>
          <xsl:when test="@code = '42'">Payment to bank account</xsl:when>
          <xsl:when test="@code = '48'">Bank card</xsl:when>
          <xsl:when test="@code = '49'">Direct debit</xsl:when>
          <xsl:when test="@code = '54'">Credit card</xsl:when>
          <xsl:when test="@code = '55'">Debit card</xsl:when>
          <xsl:when test="@code = '57'">Standing agreement</xsl:when>
          <xsl:when test="@code = '10'">In cash</xsl:when>
          <xsl:when test="@code = '1'">Not defined</xsl:when>
          <xsl:when test="@code = 'ZZZ'">Mutually defined</xsl:when>
          <xsl:otherwise>Code</xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="concat(' (', @code, ')')"/>
        <xsl:for-each select="c:text"><xsl:value-of select="concat(': ', .)"/></xsl:for-each>
      </td>
    </tr>
    <xsl:for-each select="c:account">
      <tr>
        <th>IBAN</th>
        <td class="iban"><xsl:for-each select="c:iban"><xsl:call-template name="iban"/></xsl:for-each></td>
      </tr>
      <xsl:call-template name="fact">
        <xsl:with-param name="label" select="'BIC'"/>
        <xsl:with-param name="value" select="c:bic"/>
      </xsl:call-template>
      <xsl:call-template name="fact">
        <xsl:with-param name="label" select="'Account name'"/>
        <xsl:with-param name="value" select="c:name"/>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:call-template name="fact">
      <xsl:with-param name="label" select="'Remittance information'"/>
      <xsl:with-param name="value" select="c:remittance"/>
    </xsl:call-template>
    <xsl:if test="c:cardNumber or c:cardHolder">
      <xsl:call-template name="fact">
        <xsl:with-param name="label" select="'Card'"/>
        <xsl:with-param name="value" select="normalize-space(concat(c:cardNumber, ' ', c:cardHolder))"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:call-template name="fact">
      <xsl:with-param name="label" select="'Mandate reference'"/>
      <xsl:with-param name="value" select="c:mandate"/>
    </xsl:call-template>
    <xsl:call-template name="fact">
      <xsl:with-param name="label" select="'Creditor id'"/>
      <xsl:with-param name="value" select="c:creditorId"/>
    </xsl:call-template>
    <xsl:call-template name="fact">
      <xsl:with-param name="label" select="'Debited account'"/>
      <xsl:with-param name="value" select="c:debitedAccount"/>
    </xsl:call-template>
  </xsl:template>
</xsl:stylesheet>
