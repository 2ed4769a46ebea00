<?xml version="1.0" encoding="UTF-8"?>
<!--
  canonical orderResponse -> EDIFACT-XML of one interchange holding one ORDRSP message,
  D.96A or D.01B, EANCOM (EAN005 / EAN007 by default) or plain UN (docs/canonical.md
  "canonical -> EDIFACT ORDRSP, DESADV, INVOIC, ORDERS"). The tree has the names and groups
  that `gateway edi to-xml` gives such a message, so that edi_xml_write serializes it; the
  serializer computes the UNT and UNZ counts. Values are moved as strings: nothing is
  computed here. Parameters: see edifact-out-common.xsl. For
  tests/corpus/canonical/orderresponse-changed.xml (no line statuses) it gives
  orderresponse-changed.ordrsp.edi byte for byte.
-->
<xsl:stylesheet version="1.0"
                xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:c="urn:edi-gateway:canonical:1"
                xmlns="urn:edi-gateway:edifact-xml:1"
                exclude-result-prefixes="c">
  <xsl:include href="edifact-out-common.xsl"/>
  <xsl:output method="xml" indent="yes" encoding="UTF-8"/>

  <xsl:variable name="message-type" select="'ORDRSP'"/>
  <xsl:variable name="root-name" select="'orderResponse'"/>
  <xsl:variable name="ean97-association" select="'EAN005'"/>
  <xsl:variable name="ean02-association" select="'EAN007'"/>
  <xsl:variable name="sender-role" select="'supplier'"/>
  <xsl:variable name="recipient-role" select="'buyer'"/>

  <!-- The groups have the same numbers in D.96A, D.01B and both EANCOM subsets: SG1 RFF,
       SG3 NAD (SG4 RFF), SG8 CUX, SG26 LIN (SG30 PRI, SG31 RFF). -->
  <xsl:template match="c:orderResponse" mode="body">
    <xsl:call-template name="bgm">
      <xsl:with-param name="code" select="'231'"/>
      <xsl:with-param name="number" select="c:number"/>
      <xsl:with-param name="function">
        <xsl:choose>
          <xsl:when test="c:type = 'accepted'">29</xsl:when>
          <xsl:when test="c:type = 'changed'">4</xsl:when>
          <xsl:when test="c:type = 'rejected'">27</xsl:when>
          <xsl:otherwise>
            <xsl:message terminate="yes">the order response type must be accepted, changed or rejected (BGM 1225 29, 4 or 27)</xsl:message>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:with-param>
    </xsl:call-template>
    <xsl:for-each select="c:date[@role='document']">
      <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="'137'"/></xsl:call-template>
    </xsl:for-each>
    <xsl:for-each select="c:reference">
      <xsl:call-template name="rff-group"><xsl:with-param name="group" select="'SG1'"/></xsl:call-template>
    </xsl:for-each>
    <xsl:call-template name="parties">
      <xsl:with-param name="roles" select="'buyer supplier delivery invoicee'"/>
      <xsl:with-param name="group" select="'SG3'"/>
      <xsl:with-param name="rff-group" select="'SG4'"/>
    </xsl:call-template>
    <xsl:call-template name="cux">
      <xsl:with-param name="group" select="'SG8'"/>
      <xsl:with-param name="type" select="'9'"/>
    </xsl:call-template>
    <xsl:apply-templates select="c:line"/>
    <xsl:call-template name="uns"/>
    <xsl:call-template name="cnt"/>
  </xsl:template>

  <!-- One SG26 per line. LIN 1229: the line status's @code, else its name (accepted 5,
       changed 3, rejected 7, added 1); a line without a status follows the document where
       that decides it for every line (accepted 5, rejected 7) and is left without 1229 in a
       changed response rather than guessed. A line with orderedQuantity carries QTY 21
       ordered and QTY 113 confirmed; else QTY 21 is the line's quantity. -->
  <xsl:template match="c:line">
    <xsl:variable name="type" select="../c:type"/>
    <xsl:variable name="action">
      <xsl:choose>
        <xsl:when test="string(c:status/@code)"><xsl:value-of select="c:status/@code"/></xsl:when>
        <xsl:when test="c:status = 'accepted'">5</xsl:when>
        <xsl:when test="c:status = 'changed'">3</xsl:when>
        <xsl:when test="c:status = 'rejected'">7</xsl:when>
        <xsl:when test="c:status = 'added'">1</xsl:when>
        <xsl:when test="c:status">
          <xsl:message terminate="yes">line <xsl:value-of select="c:number"/>: the status <xsl:value-of select="c:status"/> has no LIN 1229 code; give it in status/@code</xsl:message>
        </xsl:when>
        <xsl:when test="$type = 'accepted'">5</xsl:when>
        <xsl:when test="$type = 'rejected'">7</xsl:when>
      </xsl:choose>
    </xsl:variable>
    <SG26>
      <xsl:call-template name="lin"><xsl:with-param name="action" select="$action"/></xsl:call-template>
      <xsl:call-template name="pia"/>
      <xsl:call-template name="imd"/>
      <xsl:choose>
        <xsl:when test="c:orderedQuantity">
          <xsl:for-each select="c:orderedQuantity">
            <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'21'"/></xsl:call-template>
          </xsl:for-each>
          <xsl:for-each select="c:quantity">
            <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'113'"/></xsl:call-template>
          </xsl:for-each>
        </xsl:when>
        <xsl:otherwise>
          <xsl:for-each select="c:quantity">
            <xsl:call-template name="qty"><xsl:with-param name="qualifier" select="'21'"/></xsl:call-template>
          </xsl:for-each>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:for-each select="c:date">
        <xsl:variable name="qualifier">
          <xsl:choose>
            <xsl:when test="@role = 'delivery'">69</xsl:when>
            <xsl:otherwise>
              <xsl:call-template name="date-qualifier"><xsl:with-param name="role" select="@role"/></xsl:call-template>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:variable>
        <xsl:if test="string($qualifier)">
          <xsl:call-template name="dtm"><xsl:with-param name="qualifier" select="$qualifier"/></xsl:call-template>
        </xsl:if>
      </xsl:for-each>
      <xsl:call-template name="moa">
        <xsl:with-param name="qualifier" select="'203'"/>
        <xsl:with-param name="amount" select="c:lineAmount"/>
      </xsl:call-template>
      <xsl:for-each select="c:netPrice">
        <SG30><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAA'"/></xsl:call-template></SG30>
      </xsl:for-each>
      <!-- Neither EANCOM ORDRSP has PRI AAB. -->
      <xsl:if test="not($ean)">
        <xsl:for-each select="c:grossPrice">
          <SG30><xsl:call-template name="pri"><xsl:with-param name="qualifier" select="'AAB'"/></xsl:call-template></SG30>
        </xsl:for-each>
      </xsl:if>
      <xsl:for-each select="c:reference">
        <xsl:call-template name="rff-group"><xsl:with-param name="group" select="'SG31'"/></xsl:call-template>
      </xsl:for-each>
    </SG26>
  </xsl:template>
</xsl:stylesheet>
