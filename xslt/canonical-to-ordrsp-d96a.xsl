<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical orderResponse -> EDIFACT-XML of one interchange holding one ORDRSP D.96A
  EANCOM 97 (EAN005) message (docs/canonical.md "canonical -> ORDRSP"). The tree has the
  names and groups that `gateway edi to-xml` gives such a message (docs/edifact-xml.md), so
  that edi_xml_write serializes it; the serializer computes the UNT and UNZ counts.
  Values are moved as strings: nothing is computed here.
  Parameters (strings): control-ref (UNB 0020, UNZ 0020) and datetime (CCYYMMDD:HHMM, UNB
  S004): the caller passes them so that the same input always gives the same output.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:param name="control-ref" select="'1'"/>
  <xsl:param name="datetime" select="''"/>

  <xsl:variable name="doc" select="/c:orderResponse"/>
  <xsl:variable name="supplier-gln"
                select="$doc/c:party[@role='supplier']/c:id[@scheme='gln'][1]"/>
  <xsl:variable name="buyer-gln" select="$doc/c:party[@role='buyer']/c:id[@scheme='gln'][1]"/>

  <xsl:template match="/">
    <xsl:if test="not($doc)">
      <xsl:message terminate="yes">the document is not a canonical orderResponse</xsl:message>
    </xsl:if>
    <!-- The envelope addresses partners by GLN (qualifier 14); without both there is no
         one to send the response to. -->
    <xsl:if test="not($supplier-gln) or not($buyer-gln)">
      <xsl:message terminate="yes">the order response needs the GLN of the supplier (sender) and of the buyer (recipient)</xsl:message>
    </xsl:if>
    <xsl:if test="string-length($datetime) != 13 or substring($datetime, 9, 1) != ':'">
      <xsl:message terminate="yes">the parameter datetime must be CCYYMMDD:HHMM</xsl:message>
    </xsl:if>
    <edifact>
      <interchange syntax="UNOC" version="3">
        <UNB>
          <S001><D0001>UNOC</D0001><D0002>3</D0002></S001>
          <S002><D0004><xsl:value-of select="$supplier-gln"/></D0004><D0007>14</D0007></S002>
          <S003><D0010><xsl:value-of select="$buyer-gln"/></D0010><D0007>14</D0007></S003>
          <!-- Syntax version 3 dates the interchange YYMMDD. -->
          <S004>
            <D0017><xsl:value-of select="substring($datetime, 3, 6)"/></D0017>
            <D0019><xsl:value-of select="substring($datetime, 10, 4)"/></D0019>
          </S004>
          <D0020><xsl:value-of select="$control-ref"/></D0020>
        </UNB>
        <xsl:apply-templates select="$doc"/>
        <UNZ><D0036/><D0020><xsl:value-of select="$control-ref"/></D0020></UNZ>
      </interchange>
    </edifact>
  </xsl:template>

  <xsl:template match="c:orderResponse">
    <message type="ORDRSP" version="D" release="96A" agency="UN" association="EAN005">
      <UNH>
        <D0062>1</D0062>
        <S009>
          <D0065>ORDRSP</D0065><D0052>D</D0052><D0054>96A</D0054><D0051>UN</D0051>
          <D0057>EAN005</D0057>
        </S009>
      </UNH>
      <BGM>
        <C002><D1001>231</D1001></C002>
        <D1004><xsl:value-of select="c:number"/></D1004>
        <xsl:choose>
          <xsl:when test="c:type = 'accepted'"><D1225>29</D1225></xsl:when>
          <xsl:when test="c:type = 'changed'"><D1225>4</D1225></xsl:when>
          <xsl:when test="c:type = 'rejected'"><D1225>27</D1225></xsl:when>
          <xsl:otherwise>
            <xsl:message terminate="yes">the order response type must be accepted, changed or rejected (BGM 1225 29, 4 or 27)</xsl:message>
          </xsl:otherwise>
        </xsl:choose>
      </BGM>
      <xsl:for-each select="c:date[@role='document']">
        <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="'137'"/></xsl:call-template>
      </xsl:for-each>
      <xsl:for-each select="c:reference[@kind='customer_order']">
        <SG1><RFF><C506><D1153>ON</D1153><D1154><xsl:value-of select="."/></D1154></C506></RFF></SG1>
      </xsl:for-each>
      <xsl:apply-templates select="c:party[@role='buyer']"/>
      <xsl:apply-templates select="c:party[@role='supplier']"/>
      <xsl:apply-templates select="c:party[@role='delivery']"/>
      <xsl:apply-templates select="c:party[@role='invoicee']"/>
      <xsl:for-each select="c:currency">
        <SG8><CUX><C504><D6347>2</D6347><D6345><xsl:value-of select="."/></D6345><D6343>9</D6343></C504></CUX></SG8>
      </xsl:for-each>
      <xsl:apply-templates select="c:line"/>
      <UNS><D0081>S</D0081></UNS>
      <CNT>
        <C270>
          <D6069>2</D6069>
          <D6066>
            <xsl:choose>
              <xsl:when test="c:totals/c:lineCount"><xsl:value-of select="c:totals/c:lineCount"/></xsl:when>
              <xsl:otherwise><xsl:value-of select="count(c:line)"/></xsl:otherwise>
            </xsl:choose>
          </D6066>
        </C270>
      </CNT>
      <UNT><D0074/><D0062>1</D0062></UNT>
    </message>
  </xsl:template>

  <!-- NAD in SG3: GLN (3055 9), name, street, city, postcode, country; C058 stays empty
       because EANCOM does not use it. -->
  <xsl:template match="c:party">
    <SG3>
      <NAD>
        <D3035>
          <xsl:choose>
            <xsl:when test="@role = 'buyer'">BY</xsl:when>
            <xsl:when test="@role = 'supplier'">SU</xsl:when>
            <xsl:when test="@role = 'delivery'">DP</xsl:when>
            <xsl:otherwise>IV</xsl:otherwise>
          </xsl:choose>
        </D3035>
        <C082>
          <xsl:if test="c:id[@scheme='gln']">
            <D3039><xsl:value-of select="c:id[@scheme='gln'][1]"/></D3039><D1131/><D3055>9</D3055>
          </xsl:if>
        </C082>
        <C058/>
        <C080>
          <xsl:for-each select="c:name"><D3036><xsl:value-of select="."/></D3036></xsl:for-each>
        </C080>
        <C059>
          <xsl:for-each select="c:street"><D3042><xsl:value-of select="."/></D3042></xsl:for-each>
        </C059>
        <D3164><xsl:value-of select="c:city"/></D3164>
        <D3229><xsl:value-of select="c:countrySubdivision"/></D3229>
        <D3251><xsl:value-of select="c:postcode"/></D3251>
        <D3207><xsl:value-of select="c:country"/></D3207>
      </NAD>
    </SG3>
  </xsl:template>

  <!-- One SG26 per line. The line's action (LIN 1229) follows the document's status where
       that decides it for every line: accepted 5, rejected 7. A changed response may hold
       lines of each kind and the canonical line has no status of its own yet, so there
       1229 is left out rather than guessed. -->
  <xsl:template match="c:line">
    <xsl:variable name="type" select="../c:type"/>
    <SG26>
      <LIN>
        <D1082><xsl:value-of select="c:number"/></D1082>
        <D1229>
          <xsl:choose>
            <xsl:when test="$type = 'accepted'">5</xsl:when>
            <xsl:when test="$type = 'rejected'">7</xsl:when>
          </xsl:choose>
        </D1229>
        <C212>
          <xsl:if test="c:gtin">
            <D7140><xsl:value-of select="c:gtin"/></D7140><D7143>EN</D7143>
          </xsl:if>
        </C212>
      </LIN>
      <xsl:if test="c:supplierArticle">
        <PIA><D4347>1</D4347><C212><D7140><xsl:value-of select="c:supplierArticle"/></D7140><D7143>SA</D7143></C212></PIA>
      </xsl:if>
      <xsl:if test="c:buyerArticle">
        <PIA><D4347>1</D4347><C212><D7140><xsl:value-of select="c:buyerArticle"/></D7140><D7143>IN</D7143></C212></PIA>
      </xsl:if>
      <xsl:for-each select="c:quantity">
        <QTY>
          <C186>
            <D6063>21</D6063>
            <D6060><xsl:value-of select="."/></D6060>
            <D6411>
              <xsl:call-template name="unit">
                <xsl:with-param name="as-sent" select="@unitAsSent"/>
                <xsl:with-param name="rec20" select="@unit"/>
              </xsl:call-template>
            </D6411>
          </C186>
        </QTY>
      </xsl:for-each>
      <xsl:for-each select="c:date">
        <xsl:variable name="qualifier">
          <xsl:choose>
            <xsl:when test="@role = 'delivery_requested'">2</xsl:when>
            <xsl:when test="@role = 'delivery_earliest'">64</xsl:when>
            <xsl:when test="@role = 'delivery_latest'">63</xsl:when>
            <xsl:when test="@role = 'delivery'">69</xsl:when>
          </xsl:choose>
        </xsl:variable>
        <xsl:if test="string($qualifier)">
          <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="$qualifier"/></xsl:call-template>
        </xsl:if>
      </xsl:for-each>
      <xsl:for-each select="c:netPrice">
        <SG30>
          <PRI>
            <C509>
              <D5125>AAA</D5125>
              <D5118><xsl:value-of select="."/></D5118>
              <D5375/>
              <D5387/>
              <D5284><xsl:value-of select="@basisQuantity"/></D5284>
              <D6411>
                <xsl:call-template name="unit">
                  <xsl:with-param name="as-sent" select="@basisUnitAsSent"/>
                  <xsl:with-param name="rec20" select="@basisUnit"/>
                </xsl:call-template>
              </D6411>
            </C509>
          </PRI>
        </SG30>
      </xsl:for-each>
    </SG26>
  </xsl:template>

  <!-- The unit as the partner sent it; else the Rec 20 code, with C62 written as PCE because
       EANCOM 97 lists PCE and not C62. -->
  <xsl:template name="unit">
    <xsl:param name="as-sent"/>
    <xsl:param name="rec20"/>
    <xsl:choose>
      <xsl:when test="string($as-sent)"><xsl:value-of select="$as-sent"/></xsl:when>
      <xsl:when test="$rec20 = 'C62'">PCE</xsl:when>
      <xsl:otherwise><xsl:value-of select="$rec20"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- DTM for the current date element: the text as received when its format is 102 or
       203, else the ISO date rewritten as 102 (date) or 203 (date and time; seconds and
       offset are not representable in 203 and are dropped). -->
  <xsl:template name="dtm">
    <xsl:param name="qualifier"/>
    <DTM>
      <C507>
        <D2005><xsl:value-of select="$qualifier"/></D2005>
        <xsl:choose>
          <xsl:when test="(@format = '102' or @format = '203') and string(@original)">
            <D2380><xsl:value-of select="@original"/></D2380>
            <D2379><xsl:value-of select="@format"/></D2379>
          </xsl:when>
          <xsl:when test="contains(., 'T')">
            <D2380><xsl:value-of select="translate(substring(., 1, 16), '-T:', '')"/></D2380>
            <D2379>203</D2379>
          </xsl:when>
          <xsl:otherwise>
            <D2380><xsl:value-of select="translate(substring(., 1, 10), '-', '')"/></D2380>
            <D2379>102</D2379>
          </xsl:otherwise>
        </xsl:choose>
      </C507>
    </DTM>
  </xsl:template>
</xsl:stylesheet>
