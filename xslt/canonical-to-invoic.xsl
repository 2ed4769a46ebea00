<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical invoice -> EDIFACT-XML of one interchange holding one INVOIC message, D.96A or
  D.01B, EANCOM (EAN008 / EAN010 by default) or plain UN (docs/canonical.md "canonical ->
  EDIFACT ORDRSP, DESADV, INVOIC, ORDERS"). Named and grouped as `gateway edi to-xml` reads
  such a message; edi_xml_write serializes it and computes UNT/UNZ counts. Values are moved
  as strings: nothing is computed here. Totals, tax amounts and line amounts are written
  when the document has them (the C side completes a document before it is mapped).
  Parameters: see edifact-out-common.xsl.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">
  <xsl:include href="edifact-out-common.xsl"/>
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:variable name="message-type" select="'INVOIC'"/>
  <xsl:variable name="root-name" select="'invoice'"/>
  <xsl:variable name="ean97-association" select="'EAN008'"/>
  <xsl:variable name="ean02-association" select="'EAN010'"/>
  <xsl:variable name="sender-role" select="'supplier'"/>
  <xsl:variable name="recipient-role" select="'buyer'"/>

  <!-- Group numbers, D.96A (and EANCOM 97) first, D.01B (and EANCOM 2002) second. -->
  <xsl:variable name="g">
    <xsl:choose>
      <xsl:when test="$d01b">|alc=SG16|alc-pcd=SG19|alc-moa=SG20|alc-tax=SG22|lin=SG26|lin-moa=SG27|lin-pri=SG29|lin-rff=SG30|lin-tax=SG34|lin-alc=SG39|lin-alc-pcd=SG41|lin-alc-moa=SG42|moa=SG50|tax=SG52|alc-sum=SG53|</xsl:when>
      <xsl:otherwise>|alc=SG15|alc-pcd=SG18|alc-moa=SG19|alc-tax=SG21|lin=SG25|lin-moa=SG26|lin-pri=SG28|lin-rff=SG29|lin-tax=SG33|lin-alc=SG38|lin-alc-pcd=SG40|lin-alc-moa=SG41|moa=SG48|tax=SG50|alc-sum=SG51|</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <xsl:template name="g">
    <xsl:param name="name"/>
    <xsl:value-of select="substring-before(substring-after($g, concat('|', $name, '=')), '|')"/>
  </xsl:template>

  <xsl:template match="c:invoice" mode="body">
    <xsl:call-template name="bgm">
      <xsl:with-param name="code">
        <xsl:choose>
          <xsl:when test="string(c:type/@code)"><xsl:value-of select="c:type/@code"/></xsl:when>
          <xsl:when test="c:type = 'credit_note'">381</xsl:when>
          <xsl:otherwise>380</xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
      <xsl:with-param name="number" select="c:number"/>
      <xsl:with-param name="function" select="'9'"/>
    </xsl:call-template>
    <xsl:for-each select="c:date">
      <xsl:variable name="qualifier">
        <xsl:choose>
          <xsl:when test="@role = 'document'">137</xsl:when>
          <xsl:when test="@role = 'delivery'">35</xsl:when>
          <!-- EANCOM 97 has no DTM 131. -->
          <xsl:when test="@role = 'tax_point' and not($ean and not($d01b))">131</xsl:when>
        </xsl:choose>
      </xsl:variable>
      <xsl:if test="string($qualifier)">
        <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="$qualifier"/></xsl:call-template>
      </xsl:if>
    </xsl:for-each>
    <xsl:call-template name="dtm-period">
      <xsl:with-param name="start" select="c:date[@role = 'period_start'][1]"/>
      <xsl:with-param name="end" select="c:date[@role = 'period_end'][1]"/>
    </xsl:call-template>
    <xsl:for-each select="c:reference">
      <xsl:call-template name="rff-group"><xsl:with-param name="group" select="'SG1'"/></xsl:call-template>
    </xsl:for-each>
    <xsl:call-template name="parties">
      <xsl:with-param name="roles" select="'supplier buyer invoicee delivery payee'"/>
      <xsl:with-param name="group" select="'SG2'"/>
      <xsl:with-param name="rff-group" select="'SG3'"/>
      <!-- EANCOM 97 INVOIC has no RFF FC. -->
      <xsl:with-param name="tax-number" select="not($ean and not($d01b))"/>
    </xsl:call-template>
    <xsl:call-template name="cux">
      <xsl:with-param name="group" select="'SG7'"/>
      <xsl:with-param name="type" select="'4'"/>
    </xsl:call-template>
    <xsl:apply-templates select="c:paymentTerms"/>
    <xsl:for-each select="c:allowanceCharge">
      <xsl:call-template name="alc">
        <xsl:with-param name="group"><xsl:call-template name="g"><xsl:with-param name="name" select="'alc'"/></xsl:call-template></xsl:with-param>
        <xsl:with-param name="pcd-group"><xsl:call-template name="g"><xsl:with-param name="name" select="'alc-pcd'"/></xsl:call-template></xsl:with-param>
        <xsl:with-param name="moa-group"><xsl:call-template name="g"><xsl:with-param name="name" select="'alc-moa'"/></xsl:call-template></xsl:with-param>
        <xsl:with-param name="tax-group"><xsl:call-template name="g"><xsl:with-param name="name" select="'alc-tax'"/></xsl:call-template></xsl:with-param>
      </xsl:call-template>
    </xsl:for-each>
    <xsl:apply-templates select="c:line"/>
    <xsl:call-template name="uns"/>
    <xsl:call-template name="cnt"/>
    <xsl:apply-templates select="c:totals"/>
    <xsl:variable name="g-tax"><xsl:call-template name="g"><xsl:with-param name="name" select="'tax'"/></xsl:call-template></xsl:variable>
    <xsl:for-each select="c:tax">
      <xsl:element name="{$g-tax}" namespace="{$ns}">
        <xsl:call-template name="tax"/>
        <xsl:call-template name="moa">
          <xsl:with-param name="qualifier" select="'125'"/>
          <xsl:with-param name="amount" select="c:basisAmount"/>
        </xsl:call-template>
        <xsl:call-template name="moa">
          <xsl:with-param name="qualifier" select="'124'"/>
          <xsl:with-param name="amount" select="c:amount"/>
        </xsl:call-template>
      </xsl:element>
    </xsl:for-each>
    <!-- EANCOM has no MOA 260/259: the allowance and charge totals go in the summary ALC
         group as MOA 131. -->
    <xsl:if test="$ean">
      <xsl:variable name="g-alc"><xsl:call-template name="g"><xsl:with-param name="name" select="'alc-sum'"/></xsl:call-template></xsl:variable>
      <xsl:for-each select="c:totals/c:allowanceTotal">
        <xsl:element name="{$g-alc}" namespace="{$ns}">
          <ALC><D5463>A</D5463></ALC>
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="'131'"/><xsl:with-param name="amount" select="."/></xsl:call-template>
        </xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:totals/c:chargeTotal">
        <xsl:element name="{$g-alc}" namespace="{$ns}">
          <ALC><D5463>C</D5463></ALC>
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="'131'"/><xsl:with-param name="amount" select="."/></xsl:call-template>
        </xsl:element>
      </xsl:for-each>
    </xsl:if>
  </xsl:template>

  <!-- SG8: PAT (4279 as sent, else 1 basic) with the period in days after the invoice date,
       DTM 13 due date, PCD 12 discount, MOA 52 discount amount. -->
  <xsl:template match="c:paymentTerms">
    <SG8>
      <PAT>
        <D4279>
          <xsl:choose>
            <xsl:when test="string(@qualifier)"><xsl:value-of select="@qualifier"/></xsl:when>
            <xsl:otherwise>1</xsl:otherwise>
          </xsl:choose>
        </D4279>
        <xsl:if test="c:periodDays">
          <C110/>
          <C112><D2475>5</D2475><D2009>3</D2009><D2151>D</D2151><D2152><xsl:value-of select="c:periodDays"/></D2152></C112>
        </xsl:if>
      </PAT>
      <xsl:for-each select="c:dueDate">
        <xsl:call-template name="dtm-iso">
          <xsl:with-param name="qualifier" select="'13'"/>
          <xsl:with-param name="iso" select="."/>
        </xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:discountPercent">
        <PCD><C501><D5245>12</D5245><D5482><xsl:value-of select="."/></D5482></C501></PCD>
      </xsl:for-each>
      <xsl:call-template name="moa">
        <xsl:with-param name="qualifier" select="'52'"/>
        <xsl:with-param name="amount" select="c:discountAmount"/>
      </xsl:call-template>
    </SG8>
  </xsl:template>

  <!-- An allowance or charge: ALC A/C with the reason code (7161) and text (7160), PCD 1/2
       percent, MOA 204/23 amount and 25 basis (one MOA per group), TAX. -->
  <xsl:template name="alc">
    <xsl:param name="group"/>
    <xsl:param name="pcd-group"/>
    <xsl:param name="moa-group"/>
    <xsl:param name="tax-group" select="''"/>
    <xsl:variable name="allowance" select="@kind = 'allowance'"/>
    <xsl:element name="{$group}" namespace="{$ns}">
      <ALC>
        <D5463>
          <xsl:choose>
            <xsl:when test="$allowance">A</xsl:when>
            <xsl:otherwise>C</xsl:otherwise>
          </xsl:choose>
        </D5463>
        <!-- The reason code of an EN 16931 allowance is UNCL 5189 (digits), that of a
             charge UNCL 7161 (letters). 5189 goes to C552 (the directories of 1996/2001
             list only the old 5189 codes, so our read-back refuses a newer one by name),
             7161 to C214; 95 "discount" is 7161 DI, which every directory has. -->
        <xsl:variable name="code" select="normalize-space(c:reason/@qualifier)"/>
        <xsl:variable name="numeric" select="$code != '' and translate($code, '0123456789', '') = ''"/>
        <xsl:if test="c:reason">
          <C552>
            <xsl:if test="$numeric and $code != '95'"><D1230/><D5189><xsl:value-of select="$code"/></D5189></xsl:if>
          </C552>
          <D4471/><D1227/>
          <C214>
            <D7161>
              <xsl:choose>
                <xsl:when test="$code = '95'">DI</xsl:when>
                <xsl:when test="not($numeric)"><xsl:value-of select="$code"/></xsl:when>
              </xsl:choose>
            </D7161>
            <D1131/><D3055/>
            <D7160><xsl:value-of select="substring(c:reason, 1, 35)"/></D7160>
            <xsl:if test="string-length(c:reason) > 35">
              <D7160><xsl:value-of select="substring(c:reason, 36, 35)"/></D7160>
            </xsl:if>
          </C214>
        </xsl:if>
      </ALC>
      <xsl:for-each select="c:percent">
        <xsl:element name="{$pcd-group}" namespace="{$ns}">
          <PCD>
            <C501>
              <D5245><xsl:choose><xsl:when test="$allowance">1</xsl:when><xsl:otherwise>2</xsl:otherwise></xsl:choose></D5245>
              <D5482><xsl:value-of select="."/></D5482>
            </C501>
          </PCD>
        </xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:amount">
        <xsl:element name="{$moa-group}" namespace="{$ns}">
          <xsl:call-template name="moa">
            <xsl:with-param name="qualifier"><xsl:choose><xsl:when test="$allowance">204</xsl:when><xsl:otherwise>23</xsl:otherwise></xsl:choose></xsl:with-param>
            <xsl:with-param name="amount" select="."/>
          </xsl:call-template>
        </xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:basisAmount">
        <xsl:element name="{$moa-group}" namespace="{$ns}">
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="'25'"/><xsl:with-param name="amount" select="."/></xsl:call-template>
        </xsl:element>
      </xsl:for-each>
      <xsl:if test="string($tax-group)">
        <xsl:for-each select="c:tax">
          <xsl:element name="{$tax-group}" namespace="{$ns}"><xsl:call-template name="tax"/></xsl:element>
        </xsl:for-each>
      </xsl:if>
    </xsl:element>
  </xsl:template>

  <!-- One line: LIN, PIA, IMD, QTY 47 invoiced, DTM 35 delivery, MOA 203 line amount, PRI
       AAA net and AAB gross with their basis, RFF (the order and its line in 1156), TAX,
       allowances and charges. -->
  <xsl:template match="c:line">
    <xsl:variable name="g-lin"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin'"/></xsl:call-template></xsl:variable>
    <xsl:variable name="g-moa"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-moa'"/></xsl:call-template></xsl:variable>
    <xsl:variable name="g-pri"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-pri'"/></xsl:call-template></xsl:variable>
    <xsl:variable name="g-rff"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-rff'"/></xsl:call-template></xsl:variable>
    <xsl:variable name="g-tax"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-tax'"/></xsl:call-template></xsl:variable>
    <xsl:element name="{$g-lin}" namespace="{$ns}">
      <xsl:call-template name="lin"/>
      <xsl:call-template name="pia"/>
      <xsl:call-template name="imd"/>
      <xsl:for-each select="c:quantity">
        <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'47'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:date[@role = 'delivery']">
        <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="'35'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:lineAmount">
        <xsl:element name="{$g-moa}" namespace="{$ns}">
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="'203'"/><xsl:with-param name="amount" select="."/></xsl:call-template>
        </xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:netPrice">
        <xsl:element name="{$g-pri}" namespace="{$ns}"><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAA'"/></xsl:call-template></xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:grossPrice">
        <xsl:element name="{$g-pri}" namespace="{$ns}"><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAB'"/></xsl:call-template></xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:reference">
        <xsl:call-template name="rff-group"><xsl:with-param name="group" select="$g-rff"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:tax">
        <xsl:element name="{$g-tax}" namespace="{$ns}">
          <xsl:call-template name="tax"/>
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="'124'"/><xsl:with-param name="amount" select="c:amount"/></xsl:call-template>
        </xsl:element>
      </xsl:for-each>
      <xsl:for-each select="c:allowanceCharge">
        <xsl:call-template name="alc">
          <xsl:with-param name="group"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-alc'"/></xsl:call-template></xsl:with-param>
          <xsl:with-param name="pcd-group"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-alc-pcd'"/></xsl:call-template></xsl:with-param>
          <xsl:with-param name="moa-group"><xsl:call-template name="g"><xsl:with-param name="name" select="'lin-alc-moa'"/></xsl:call-template></xsl:with-param>
        </xsl:call-template>
      </xsl:for-each>
    </xsl:element>
  </xsl:template>

  <!-- The totals after UNS/CNT, each MOA in its own group: 79 lines, 125 taxable, 176
       tax, 77 grand total, 113 prepaid, 165 rounding (not in EANCOM 97), 9 payable; in the
       UN directories also 260 allowances and 259 charges. -->
  <xsl:template match="c:totals">
    <xsl:variable name="g-moa"><xsl:call-template name="g"><xsl:with-param name="name" select="'moa'"/></xsl:call-template></xsl:variable>
    <xsl:for-each select="c:lineAmountTotal | c:taxBasisTotal | c:taxTotal | c:grandTotal
                          | c:prepaidAmount | c:roundingAmount | c:payableAmount
                          | c:allowanceTotal | c:chargeTotal">
      <xsl:variable name="q">
        <xsl:choose>
          <xsl:when test="self::c:lineAmountTotal">79</xsl:when>
          <xsl:when test="self::c:taxBasisTotal">125</xsl:when>
          <xsl:when test="self::c:taxTotal">176</xsl:when>
          <xsl:when test="self::c:grandTotal">77</xsl:when>
          <xsl:when test="self::c:prepaidAmount">113</xsl:when>
          <xsl:when test="self::c:roundingAmount and not($ean and not($d01b))">165</xsl:when>
          <xsl:when test="self::c:payableAmount">9</xsl:when>
          <xsl:when test="self::c:allowanceTotal and not($ean)">260</xsl:when>
          <xsl:when test="self::c:chargeTotal and not($ean)">259</xsl:when>
        </xsl:choose>
      </xsl:variable>
      <xsl:if test="string($q)">
        <xsl:element name="{$g-moa}" namespace="{$ns}">
          <xsl:call-template name="moa"><xsl:with-param name="qualifier" select="$q"/><xsl:with-param name="amount" select="."/></xsl:call-template>
        </xsl:element>
      </xsl:if>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
