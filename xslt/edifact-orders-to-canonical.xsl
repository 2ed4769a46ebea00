<?xml version="1.0" encoding="UTF-8"?>
<!--
  EDIFACT ORDERS (D.96A, D.01B and their EANCOM subsets) in EDIFACT-XML (docs/edifact-xml.md)
  -> canonical order (formats/canonical/canonical.xsd, field table in docs/canonical.md).

  Input: a document whose root is one <message>, or a whole <edifact> tree, of which the
  message number $message (1-based in document order) is mapped.

  Segment groups are found by the segment that opens them (the group holding a LIN is a
  line), never by their number: the numbers differ between D.96A (LIN = SG25) and D.01B
  (LIN = SG28). Values are moved as strings; the only change to a number is the decimal
  comma becoming a point. Totals that were not sent are listed in totals/@missing, not
  computed. Every segment that is not mapped, or carries data that is not mapped, is copied
  into extension as received.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:e="urn:edi-gateway:edifact-xml:1"
                xmlns="urn:edi-gateway:canonical:1"
                exclude-result-prefixes="e">

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:param name="message" select="1"/>

  <xsl:template match="/">
    <xsl:apply-templates select="(//e:message)[position() = $message]"/>
  </xsl:template>

  <xsl:template match="e:message">
    <xsl:if test="@type != 'ORDERS'">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('message ', @ref, ' is ', @type, ', not ORDERS')"/>
      </xsl:message>
    </xsl:if>
    <!-- Without a directory the segments are flat and unnamed (E1, C2): nothing to map. -->
    <xsl:if test="not(@directory)">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('message ', @ref, ' (', @type, ' ', @version, @release,
                              ') was read without a directory')"/>
      </xsl:message>
    </xsl:if>
    <xsl:if test="not(normalize-space(e:BGM/e:D1004 | e:BGM/e:C106/e:D1004))">
      <xsl:message terminate="yes">
        <xsl:value-of select="concat('message ', @ref, ' has no order number (BGM 1004): it cannot be ',
                              'answered or told apart from other orders')"/>
      </xsl:message>
    </xsl:if>
    <xsl:variable name="lines" select="*[e:LIN]"/>
    <order source="{normalize-space(concat('EDIFACT ', @type, ' ', @version, ' ', @release, ' ',
                    @agency, ' ', @association, ' message ', @ref))}">
      <kind>order</kind>
      <xsl:apply-templates select="e:BGM/e:C002/e:D1001[normalize-space()]"/>
      <!-- D.96A has 1004 directly in BGM, D.01B in C106. -->
      <number><xsl:value-of select="e:BGM/e:D1004 | e:BGM/e:C106/e:D1004"/></number>
      <xsl:apply-templates select="e:DTM" mode="date"/>
      <xsl:apply-templates select="(*/e:CUX/e:C504[e:D6347 = '2' or e:D6347 = '9'])[1]"/>
      <xsl:apply-templates select="*/e:RFF[normalize-space(e:C506/e:D1154)]"/>
      <xsl:apply-templates select="e:FTX[e:C108/e:D4440]"/>
      <xsl:apply-templates select="*[e:PAT]" mode="pat"/>
      <xsl:apply-templates select="*/e:NAD"/>
      <xsl:apply-templates select="*/e:TAX"/>
      <xsl:apply-templates select="*[e:ALC]" mode="alc"/>
      <xsl:apply-templates select="$lines" mode="line"/>
      <xsl:call-template name="totals">
        <xsl:with-param name="cnt" select="e:CNT/e:C270[e:D6069 = '2'][normalize-space(e:D6066)]"/>
        <xsl:with-param name="moa" select="e:MOA/e:C516"/>
      </xsl:call-template>
      <xsl:call-template name="extension">
        <xsl:with-param name="nodes" select="*[not(e:LIN)]"/>
      </xsl:call-template>
    </order>
  </xsl:template>

  <!-- ==== document type ============================================================ -->

  <xsl:template match="e:D1001">
    <type code="{.}">
      <xsl:choose>
        <xsl:when test=". = '220'">standard</xsl:when>
        <xsl:when test=". = '224'">express</xsl:when>
        <xsl:when test=". = '226'">release</xsl:when>
        <xsl:when test=". = '227'">consignment</xsl:when>
        <xsl:when test=". = '221'">blanket</xsl:when>
        <xsl:otherwise>other</xsl:otherwise>
      </xsl:choose>
    </type>
  </xsl:template>

  <!-- ==== dates ==================================================================== -->

  <!-- A DTM becomes a date only when its qualifier has a role here and its format can be
       turned into ISO 8601 by cutting the string; any other DTM goes to extension. -->
  <xsl:template match="e:DTM" mode="date">
    <xsl:variable name="q" select="e:C507/e:D2005"/>
    <xsl:variable name="role">
      <xsl:choose>
        <!-- 4 (order date) only stands in for 137 (document date) when there is none. -->
        <xsl:when test="$q = '137' or ($q = '4' and not(../e:DTM/e:C507[e:D2005 = '137']))">document</xsl:when>
        <xsl:when test="$q = '2'">delivery_requested</xsl:when>
        <xsl:when test="$q = '64'">delivery_earliest</xsl:when>
        <xsl:when test="$q = '63'">delivery_latest</xsl:when>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="iso">
      <xsl:call-template name="iso-date">
        <xsl:with-param name="v" select="e:C507/e:D2380"/>
        <xsl:with-param name="f" select="e:C507/e:D2379"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$role != '' and $iso != ''">
      <date role="{$role}" qualifier="{$q}" format="{e:C507/e:D2379}" original="{e:C507/e:D2380}">
        <xsl:value-of select="$iso"/>
      </date>
    </xsl:if>
  </xsl:template>

  <!-- 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 CCYYMMDDHHMMSS; empty for anything else. -->
  <xsl:template name="iso-date">
    <xsl:param name="v"/>
    <xsl:param name="f"/>
    <xsl:variable name="digits" select="translate($v, '0123456789', '') = ''"/>
    <xsl:variable name="n" select="string-length($v)"/>
    <xsl:variable name="day"
                  select="concat(substring($v, 1, 4), '-', substring($v, 5, 2), '-', substring($v, 7, 2))"/>
    <xsl:choose>
      <xsl:when test="not($digits)"/>
      <xsl:when test="$f = '102' and $n = 8">
        <xsl:value-of select="$day"/>
      </xsl:when>
      <xsl:when test="$f = '203' and $n = 12">
        <xsl:value-of select="concat($day, 'T', substring($v, 9, 2), ':', substring($v, 11, 2))"/>
      </xsl:when>
      <xsl:when test="$f = '204' and $n = 14">
        <xsl:value-of select="concat($day, 'T', substring($v, 9, 2), ':', substring($v, 11, 2),
                                     ':', substring($v, 13, 2))"/>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <!-- ==== numbers ================================================================== -->

  <!-- The decimal mark becomes a point and a bare leading or trailing mark gets its zero
       back or goes; this is string work only, no value is computed. -->
  <xsl:template name="decimal">
    <xsl:param name="v"/>
    <xsl:variable name="marks" select="translate($v, '0123456789', '')"/>
    <xsl:choose>
      <!-- Digits only, or digits with a point between them: nothing to change (most
           values; the test is cheaper than the general case). -->
      <xsl:when test="$marks = '' or ($marks = '.' and not(starts-with($v, '.'))
                      and substring($v, string-length($v)) != '.')">
        <xsl:value-of select="$v"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="p" select="translate(normalize-space($v), ',', '.')"/>
        <!-- A trailing point is dropped (a boolean counts as 1 or 0): a string expression,
             not a result tree fragment, which would cost a document per call. -->
        <xsl:variable name="q"
                      select="substring($p, 1, string-length($p) - (substring($p, string-length($p)) = '.'))"/>
        <xsl:choose>
          <xsl:when test="starts-with($q, '.')"><xsl:value-of select="concat('0', $q)"/></xsl:when>
          <xsl:when test="starts-with($q, '-.')">
            <xsl:value-of select="concat('-0', substring($q, 2))"/>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="$q"/></xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- UN/ECE Rec 20 for a unit as sent (6411): PCE is not a Rec 20 code (piece is C62); a
       code that cannot be Rec 20 at all (GBND) is kept only as sent. Mode unit writes the
       attributes of a quantity, mode basis-unit those of a price's basis; the names are
       written out, not passed: a computed attribute name costs libxslt a lookup per call. -->
  <xsl:template match="e:D6411" mode="unit">
    <xsl:if test="normalize-space()">
      <xsl:choose>
        <xsl:when test=". = 'PCE'"><xsl:attribute name="unit">C62</xsl:attribute></xsl:when>
        <xsl:when test="string-length() >= 2 and string-length() &lt;= 3
                        and translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '') = ''">
          <xsl:attribute name="unit"><xsl:value-of select="."/></xsl:attribute>
        </xsl:when>
      </xsl:choose>
      <xsl:attribute name="unitAsSent"><xsl:value-of select="."/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:D6411" mode="basis-unit">
    <xsl:if test="normalize-space()">
      <xsl:choose>
        <xsl:when test=". = 'PCE'"><xsl:attribute name="basisUnit">C62</xsl:attribute></xsl:when>
        <xsl:when test="string-length() >= 2 and string-length() &lt;= 3
                        and translate(., 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', '') = ''">
          <xsl:attribute name="basisUnit"><xsl:value-of select="."/></xsl:attribute>
        </xsl:when>
      </xsl:choose>
      <xsl:attribute name="basisUnitAsSent"><xsl:value-of select="."/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <!-- ==== currency, references, texts, payment terms ============================== -->

  <xsl:template match="e:C504">
    <currency><xsl:value-of select="e:D6345"/></currency>
  </xsl:template>

  <xsl:template match="e:RFF">
    <xsl:variable name="q" select="e:C506/e:D1153"/>
    <reference qualifier="{$q}">
      <xsl:attribute name="kind">
        <xsl:choose>
          <xsl:when test="$q = 'CT'">contract</xsl:when>
          <xsl:when test="$q = 'AAG'">quotation</xsl:when>
          <xsl:when test="$q = 'ON'">customer_order</xsl:when>
          <xsl:when test="$q = 'VN'">supplier_order</xsl:when>
          <xsl:when test="$q = 'BO'">blanket_order</xsl:when>
          <xsl:when test="$q = 'PD'">promotion</xsl:when>
          <xsl:when test="$q = 'AJK'">special_instruction</xsl:when>
          <xsl:otherwise>other</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="normalize-space(e:C506/e:D1156)">
        <xsl:attribute name="line"><xsl:value-of select="e:C506/e:D1156"/></xsl:attribute>
      </xsl:if>
      <xsl:value-of select="e:C506/e:D1154"/>
    </reference>
  </xsl:template>

  <!-- Text components are joined as sent: partners split words across them. -->
  <xsl:template match="e:FTX">
    <text qualifier="{e:D4451}">
      <xsl:for-each select="e:C108/e:D4440"><xsl:value-of select="."/></xsl:for-each>
    </text>
  </xsl:template>

  <xsl:template match="*" mode="pat">
    <paymentTerms qualifier="{e:PAT/e:D4279}">
      <xsl:for-each select="e:PAT/e:C110[e:D4276]">
        <text><xsl:for-each select="e:D4276"><xsl:value-of select="."/></xsl:for-each></text>
      </xsl:for-each>
      <xsl:apply-templates select="(e:DTM[e:C507/e:D2005 = '13'])[1]" mode="due"/>
      <xsl:if test="e:PAT/e:C112[e:D2151 = 'D'][translate(e:D2152, '0123456789', '') = '']
                    [normalize-space(e:D2152)]">
        <periodDays><xsl:value-of select="e:PAT/e:C112/e:D2152"/></periodDays>
      </xsl:if>
      <xsl:for-each select="(e:PCD/e:C501[e:D5245 = '12'])[1]">
        <discountPercent>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5482"/></xsl:call-template>
        </discountPercent>
      </xsl:for-each>
      <xsl:for-each select="(e:MOA/e:C516[e:D5025 = '52'])[1]">
        <discountAmount>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </discountAmount>
      </xsl:for-each>
    </paymentTerms>
  </xsl:template>

  <xsl:template match="e:DTM" mode="due">
    <xsl:variable name="iso">
      <xsl:call-template name="iso-date">
        <xsl:with-param name="v" select="e:C507/e:D2380"/>
        <xsl:with-param name="f" select="e:C507/e:D2379"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:if test="$iso != ''">
      <dueDate format="{e:C507/e:D2379}" original="{e:C507/e:D2380}">
        <xsl:value-of select="$iso"/>
      </dueDate>
    </xsl:if>
  </xsl:template>

  <!-- ==== parties ================================================================== -->

  <xsl:template match="e:NAD">
    <xsl:variable name="q" select="e:D3035"/>
    <xsl:variable name="id" select="e:C082"/>
    <party qualifier="{$q}">
      <xsl:attribute name="role">
        <xsl:choose>
          <xsl:when test="$q = 'BY'">buyer</xsl:when>
          <xsl:when test="$q = 'SU'">supplier</xsl:when>
          <xsl:when test="$q = 'DP'">delivery</xsl:when>
          <xsl:when test="$q = 'IV'">invoicee</xsl:when>
          <xsl:when test="$q = 'UC'">final_delivery</xsl:when>
          <xsl:when test="$q = 'SF'">ship_from</xsl:when>
          <xsl:when test="$q = 'PR'">payer</xsl:when>
          <xsl:when test="$q = 'PE'">payee</xsl:when>
          <xsl:otherwise>other</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="normalize-space($id/e:D3039)">
        <id>
          <xsl:attribute name="scheme">
            <xsl:choose>
              <xsl:when test="$id/e:D3055 = '9'">gln</xsl:when>
              <xsl:when test="$id/e:D3055 = '16'">duns</xsl:when>
              <xsl:when test="$id/e:D3055 = '91'">supplier_specific</xsl:when>
              <xsl:when test="$id/e:D3055 = '92'">buyer_specific</xsl:when>
              <xsl:otherwise>other</xsl:otherwise>
            </xsl:choose>
          </xsl:attribute>
          <xsl:if test="normalize-space($id/e:D3055)">
            <xsl:attribute name="agency"><xsl:value-of select="$id/e:D3055"/></xsl:attribute>
          </xsl:if>
          <xsl:value-of select="$id/e:D3039"/>
        </id>
      </xsl:if>
      <xsl:for-each select="../*/e:RFF/e:C506[e:D1153 = 'VA' or e:D1153 = 'FC']
                            [normalize-space(e:D1154)]">
        <id scheme="vat">
          <xsl:if test="e:D1153 = 'FC'"><xsl:attribute name="scheme">tax_number</xsl:attribute></xsl:if>
          <xsl:value-of select="e:D1154"/>
        </id>
      </xsl:for-each>
      <xsl:for-each select="(e:C058/e:D3124 | e:C080/e:D3036)[normalize-space()][position() &lt;= 5]">
        <name><xsl:value-of select="."/></name>
      </xsl:for-each>
      <xsl:for-each select="e:C059/e:D3042[normalize-space()][position() &lt;= 4]">
        <street><xsl:value-of select="."/></street>
      </xsl:for-each>
      <xsl:if test="normalize-space(e:D3251)"><postcode><xsl:value-of select="e:D3251"/></postcode></xsl:if>
      <xsl:if test="normalize-space(e:D3164)"><city><xsl:value-of select="e:D3164"/></city></xsl:if>
      <xsl:if test="normalize-space(e:D3229)">
        <countrySubdivision><xsl:value-of select="e:D3229"/></countrySubdivision>
      </xsl:if>
      <xsl:if test="string-length(e:D3207) = 2 and translate(e:D3207, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = ''">
        <country><xsl:value-of select="e:D3207"/></country>
      </xsl:if>
      <xsl:apply-templates select="../*[e:CTA]" mode="contact"/>
    </party>
  </xsl:template>

  <xsl:template match="*" mode="contact">
    <contact>
      <xsl:if test="normalize-space(e:CTA/e:D3139)">
        <xsl:attribute name="function"><xsl:value-of select="e:CTA/e:D3139"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="normalize-space(e:CTA/e:C056/e:D3412)">
        <name><xsl:value-of select="e:CTA/e:C056/e:D3412"/></name>
      </xsl:if>
      <xsl:if test="normalize-space(e:CTA/e:C056/e:D3413)">
        <department><xsl:value-of select="e:CTA/e:C056/e:D3413"/></department>
      </xsl:if>
      <xsl:for-each select="e:COM/e:C076[e:D3155 = 'TE']">
        <phone><xsl:value-of select="e:D3148"/></phone>
      </xsl:for-each>
      <xsl:for-each select="e:COM/e:C076[e:D3155 = 'FX']">
        <fax><xsl:value-of select="e:D3148"/></fax>
      </xsl:for-each>
      <xsl:for-each select="e:COM/e:C076[e:D3155 = 'EM']">
        <email><xsl:value-of select="e:D3148"/></email>
      </xsl:for-each>
    </contact>
  </xsl:template>

  <!-- ==== tax, allowances and charges ============================================= -->

  <xsl:template match="e:TAX">
    <tax>
      <xsl:if test="normalize-space(e:C241/e:D5153)">
        <xsl:attribute name="type"><xsl:value-of select="e:C241/e:D5153"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="normalize-space(e:D5305)"><category><xsl:value-of select="e:D5305"/></category></xsl:if>
      <xsl:if test="normalize-space(e:C243/e:D5278)">
        <ratePercent>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:C243/e:D5278"/></xsl:call-template>
        </ratePercent>
      </xsl:if>
    </tax>
  </xsl:template>

  <!-- An ALC group: the ALC, its percentage (PCD) and amounts (MOA) in its own groups. -->
  <xsl:template match="*" mode="alc">
    <xsl:variable name="a" select="e:ALC"/>
    <allowanceCharge qualifier="{$a/e:D5463}">
      <xsl:attribute name="kind">
        <xsl:choose>
          <xsl:when test="$a/e:D5463 = 'C'">charge</xsl:when>
          <xsl:otherwise>allowance</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="normalize-space($a/e:C214/e:D7161) or normalize-space($a/e:C214/e:D7160)">
        <reason>
          <xsl:if test="normalize-space($a/e:C214/e:D7161)">
            <xsl:attribute name="qualifier"><xsl:value-of select="$a/e:C214/e:D7161"/></xsl:attribute>
          </xsl:if>
          <xsl:for-each select="$a/e:C214/e:D7160"><xsl:value-of select="."/></xsl:for-each>
        </reason>
      </xsl:if>
      <xsl:for-each select="(*/e:PCD/e:C501[normalize-space(e:D5482)])[1]">
        <percent>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5482"/></xsl:call-template>
        </percent>
      </xsl:for-each>
      <xsl:for-each select="(*/e:MOA/e:C516[e:D5025 = '25'])[1]">
        <basisAmount>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </basisAmount>
      </xsl:for-each>
      <xsl:for-each select="(*/e:MOA/e:C516[e:D5025 = '8' or e:D5025 = '204' or e:D5025 = '23'])[1]">
        <amount>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </amount>
      </xsl:for-each>
    </allowanceCharge>
  </xsl:template>

  <!-- ==== lines ==================================================================== -->

  <xsl:template match="*" mode="line">
    <xsl:variable name="ids" select="e:LIN/e:C212 | e:PIA/e:C212"/>
    <!-- The ordered quantity (21); a message without one may send the discrete quantity
         (1) instead. Only the first is mapped: the extension keeps any other. -->
    <xsl:variable name="qty" select="(e:QTY/e:C186[e:D6063 = '21']
                                      | e:QTY[not(../e:QTY/e:C186/e:D6063 = '21')]/e:C186[e:D6063 = '1'])[1]"/>
    <line>
      <number>
        <xsl:choose>
          <xsl:when test="normalize-space(e:LIN/e:D1082)"><xsl:value-of select="e:LIN/e:D1082"/></xsl:when>
          <!-- No line number sent: its position, so that answers can still refer to it. -->
          <xsl:otherwise><xsl:value-of select="count(preceding-sibling::*[e:LIN]) + 1"/></xsl:otherwise>
        </xsl:choose>
      </number>
      <xsl:for-each select="($ids[e:D7143 = 'EN' or e:D7143 = 'SRV'])[1]">
        <gtin><xsl:value-of select="e:D7140"/></gtin>
      </xsl:for-each>
      <xsl:for-each select="($ids[e:D7143 = 'SA'])[1]">
        <supplierArticle><xsl:value-of select="e:D7140"/></supplierArticle>
      </xsl:for-each>
      <xsl:for-each select="($ids[e:D7143 = 'BP' or e:D7143 = 'IN'])[1]">
        <buyerArticle><xsl:value-of select="e:D7140"/></buyerArticle>
      </xsl:for-each>
      <xsl:for-each select="($ids[e:D7143 = 'MF'])[1]">
        <manufacturerArticle><xsl:value-of select="e:D7140"/></manufacturerArticle>
      </xsl:for-each>
      <xsl:for-each select="e:IMD[e:C273/e:D7008]">
        <description qualifier="{e:D7077}">
          <xsl:for-each select="e:C273/e:D7008"><xsl:value-of select="."/></xsl:for-each>
        </description>
      </xsl:for-each>
      <xsl:for-each select="$qty">
        <quantity>
          <xsl:apply-templates select="e:D6411" mode="unit"/>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D6060"/></xsl:call-template>
        </quantity>
      </xsl:for-each>
      <xsl:for-each select="(*/e:PRI/e:C509[e:D5125 = 'AAA'][normalize-space(e:D5118)])[1]">
        <netPrice><xsl:call-template name="price"/></netPrice>
      </xsl:for-each>
      <xsl:for-each select="(*/e:PRI/e:C509[e:D5125 = 'AAB'][normalize-space(e:D5118)])[1]">
        <grossPrice><xsl:call-template name="price"/></grossPrice>
      </xsl:for-each>
      <xsl:for-each select="((e:MOA | *[*[1][self::e:MOA]]/e:MOA)/e:C516[e:D5025 = '203'])[1]">
        <lineAmount>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </lineAmount>
      </xsl:for-each>
      <xsl:apply-templates select="*/e:TAX"/>
      <xsl:apply-templates select="*[e:ALC]" mode="alc"/>
      <xsl:apply-templates select="e:DTM" mode="date"/>
      <xsl:apply-templates select="*/e:RFF[normalize-space(e:C506/e:D1154)]"/>
      <xsl:apply-templates select="e:FTX[e:C108/e:D4440]"/>
      <xsl:call-template name="extension">
        <xsl:with-param name="nodes" select="*"/>
      </xsl:call-template>
    </line>
  </xsl:template>

  <!-- The attributes and value of a price; the context is its C509. -->
  <xsl:template name="price">
    <xsl:if test="normalize-space(e:D5284)">
      <xsl:attribute name="basisQuantity">
        <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5284"/></xsl:call-template>
      </xsl:attribute>
    </xsl:if>
    <xsl:apply-templates select="e:D6411" mode="basis-unit"/>
    <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5118"/></xsl:call-template>
  </xsl:template>

  <!-- ==== totals =================================================================== -->

  <xsl:template name="totals">
    <xsl:param name="cnt"/>
    <xsl:param name="moa"/>
    <xsl:variable name="lines" select="($moa[e:D5025 = '79'])[1]"/>
    <xsl:variable name="grand" select="($moa[e:D5025 = '86' or e:D5025 = '128' or e:D5025 = '77'])[1]"/>
    <xsl:variable name="tax" select="($moa[e:D5025 = '124'])[1]"/>
    <xsl:variable name="basis" select="($moa[e:D5025 = '125'])[1]"/>
    <totals>
      <xsl:variable name="missing"
                    select="normalize-space(concat(substring('lineCount', 1, 9 * not($cnt)), ' ',
                            substring('lineAmountTotal', 1, 15 * not($lines))))"/>
      <xsl:if test="$missing != ''">
        <xsl:attribute name="missing"><xsl:value-of select="$missing"/></xsl:attribute>
      </xsl:if>
      <xsl:if test="$cnt">
        <lineCount><xsl:value-of select="$cnt[1]/e:D6066"/></lineCount>
      </xsl:if>
      <xsl:for-each select="$lines">
        <lineAmountTotal>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </lineAmountTotal>
      </xsl:for-each>
      <xsl:for-each select="$basis">
        <taxBasisTotal>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </taxBasisTotal>
      </xsl:for-each>
      <xsl:for-each select="$tax">
        <taxTotal>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </taxTotal>
      </xsl:for-each>
      <xsl:for-each select="$grand">
        <grandTotal>
          <xsl:call-template name="decimal"><xsl:with-param name="v" select="e:D5004"/></xsl:call-template>
        </grandTotal>
      </xsl:for-each>
    </totals>
  </xsl:template>

  <!-- ==== extension: what was received and not mapped ============================= -->

  <xsl:template name="extension">
    <xsl:param name="nodes"/>
    <xsl:variable name="kept">
      <xsl:apply-templates select="$nodes" mode="ext"/>
    </xsl:variable>
    <!-- Segments always carry text, so an empty string means nothing was kept. The
         result tree is copied, not built a second time. -->
    <xsl:if test="string($kept) != ''">
      <extension source="edifact">
        <xsl:copy-of select="$kept"/>
      </extension>
    </xsl:if>
  </xsl:template>

  <!-- Groups are looked into; a segment is kept unless the template for its tag says it
       was mapped completely. The templates match by tag alone and decide in their body:
       libxslt finds a template by its tag quickly, while a predicate in a match pattern
       costs a walk over the node's siblings on every test (half the transformation).
       The group template's priority is below the tags' (0), so that it is tried only
       for elements no tag template takes, never for every segment. -->
  <xsl:template match="*[starts-with(local-name(), 'SG')]" mode="ext" priority="-0.25">
    <xsl:apply-templates select="*" mode="ext"/>
  </xsl:template>

  <xsl:template match="*" mode="ext">
    <xsl:copy-of select="."/>
  </xsl:template>

  <xsl:template match="e:UNH | e:UNT | e:UNS" mode="ext"/>

  <!-- 1225 (message function) and 4343 (response type) have no canonical field. -->
  <xsl:template match="e:BGM" mode="ext">
    <xsl:if test="normalize-space(e:D1225) or normalize-space(e:D4343)">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:DTM" mode="ext">
    <xsl:choose>
      <xsl:when test="parent::e:message or parent::*[e:LIN]">
        <xsl:variable name="d"><xsl:apply-templates select="." mode="date"/></xsl:variable>
        <xsl:if test="string($d) = ''"><xsl:copy-of select="."/></xsl:if>
      </xsl:when>
      <xsl:when test="parent::*[e:PAT] and e:C507/e:D2005 = '13'">
        <xsl:variable name="d"><xsl:apply-templates select="." mode="due"/></xsl:variable>
        <xsl:if test="string($d) = ''"><xsl:copy-of select="."/></xsl:if>
      </xsl:when>
      <xsl:otherwise><xsl:copy-of select="."/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="e:FTX" mode="ext">
    <xsl:if test="not(e:C108/e:D4440 and (parent::e:message or parent::*[e:LIN]))">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:RFF" mode="ext">
    <xsl:if test="not(normalize-space(e:C506/e:D1154)
                      and (../parent::e:message or ../parent::*[e:LIN]
                           or (../parent::*[e:NAD]
                               and (e:C506/e:D1153 = 'VA' or e:C506/e:D1153 = 'FC'))))">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:NAD" mode="ext">
    <xsl:if test="not(../parent::e:message
                      and (not(normalize-space(e:D3207)) or (string-length(e:D3207) = 2
                           and translate(e:D3207, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '')))">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:CTA" mode="ext">
    <xsl:if test="not(../parent::*[e:NAD])"><xsl:copy-of select="."/></xsl:if>
  </xsl:template>

  <xsl:template match="e:COM" mode="ext">
    <xsl:if test="not(../e:CTA and (e:C076/e:D3155 = 'TE' or e:C076/e:D3155 = 'FX'
                                    or e:C076/e:D3155 = 'EM'))">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:CUX" mode="ext">
    <xsl:if test="not(../parent::e:message and e:C504[e:D6347 = '2' or e:D6347 = '9'])">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:PAT" mode="ext">
    <xsl:if test="not(../parent::e:message)"><xsl:copy-of select="."/></xsl:if>
  </xsl:template>

  <xsl:template match="e:PCD" mode="ext">
    <xsl:if test="not((../e:PAT and e:C501/e:D5245 = '12') or ../../e:ALC)">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:MOA" mode="ext">
    <xsl:variable name="q" select="e:C516/e:D5025"/>
    <!-- The line's amount is the first MOA 203 of its line, as the line template takes it. -->
    <xsl:variable name="lg" select="parent::*[e:LIN] | ../parent::*[e:LIN]"/>
    <xsl:variable name="line-amount"
                  select="($lg/e:MOA[e:C516/e:D5025 = '203'] | $lg/*[*[1][self::e:MOA]]/e:MOA[e:C516/e:D5025 = '203'])[1]"/>
    <xsl:if test="not((../e:PAT and $q = '52')
                      or (../../e:ALC and ($q = '8' or $q = '204' or $q = '23' or $q = '25'))
                      or (parent::e:message and ($q = '79' or $q = '86' or $q = '128' or $q = '77'
                                                 or $q = '124' or $q = '125'))
                      or ($q = '203' and count(. | $line-amount) = 1))">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:TAX | e:ALC" mode="ext">
    <xsl:if test="not(../parent::e:message or ../parent::*[e:LIN])"><xsl:copy-of select="."/></xsl:if>
  </xsl:template>

  <xsl:template match="e:CNT" mode="ext">
    <xsl:if test="not(parent::e:message and e:C270/e:D6069 = '2')"><xsl:copy-of select="."/></xsl:if>
  </xsl:template>

  <!-- 1229 (action request), C829 (sub-line) and 1222 (configuration level) have no
       canonical field yet. -->
  <xsl:template match="e:LIN" mode="ext">
    <xsl:if test="not(normalize-space(e:D1082)) or normalize-space(e:D1229) or e:C829
                  or normalize-space(e:D1222)">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <!-- Kept unless every identification in it is one the line took (the first of each kind). -->
  <xsl:template match="e:PIA" mode="ext">
    <xsl:variable name="ids" select="../e:LIN/e:C212 | ../e:PIA/e:C212"/>
    <xsl:variable name="taken" select="($ids[e:D7143 = 'EN' or e:D7143 = 'SRV'])[1] | ($ids[e:D7143 = 'SA'])[1]
                                       | ($ids[e:D7143 = 'BP' or e:D7143 = 'IN'])[1] | ($ids[e:D7143 = 'MF'])[1]"/>
    <xsl:if test="e:C212[normalize-space(e:D7140)][count(. | $taken) != count($taken)]">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <xsl:template match="e:IMD" mode="ext">
    <xsl:if test="not(e:C273/e:D7008) or normalize-space(e:C273/e:D7009)">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>

  <!-- Kept unless it is the quantity the line took (see the line template). -->
  <xsl:template match="e:QTY" mode="ext">
    <xsl:variable name="taken" select="(../e:QTY[e:C186/e:D6063 = '21']
                                        | ../e:QTY[not(../e:QTY/e:C186/e:D6063 = '21')][e:C186/e:D6063 = '1'])[1]"/>
    <xsl:if test="count(. | $taken) != 1"><xsl:copy-of select="."/></xsl:if>
  </xsl:template>

  <!-- Kept unless it is the net (AAA) or gross (AAB) price the line took, the first of each
       with a value, and carries nothing else (5375 price type, 5387 price type qualifier). -->
  <xsl:template match="e:PRI" mode="ext">
    <xsl:variable name="prices" select="../../*/e:PRI"/>
    <xsl:variable name="taken" select="($prices[e:C509[e:D5125 = 'AAA'][normalize-space(e:D5118)]])[1]
                                       | ($prices[e:C509[e:D5125 = 'AAB'][normalize-space(e:D5118)]])[1]"/>
    <xsl:if test="count(. | $taken) != count($taken)
                  or normalize-space(e:C509/e:D5375) or normalize-space(e:C509/e:D5387)">
      <xsl:copy-of select="."/>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
